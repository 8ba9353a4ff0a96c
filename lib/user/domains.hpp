// Domains started through the monitor (Local.spawn, docs/services/spawn.md):
// waiting for one to end, from any core. The monitor answers domainStatus at
// once, so the wait is a poll with a yield between questions, and the caller
// can stop waiting (a shell's Ctrl-C) without the domain noticing.
#pragma once

#include "base/result.hpp"
#include "user/monitor_link.hpp"

namespace mk::user {

inline constexpr u32 kNoCapSlot = 0xFFFFFFFFu;

// Whether domain `id` has ended, and its exit code (-1: ended for a fault).
struct DomainState {
    bool ended;
    i32 exit_code;
};
inline Result<DomainState> domain_state(MonitorLink& link, u64 id) {
    idl::monitor::Local::DomainStatusResults r{};
    auto call = link.client().domain_status(id, &r);
    if (!call.ok()) return call.error();
    TRY_STATUS(link.wait(*call));
    return DomainState{r.ended, r.exit_code};
}

// Waits until domain `id` ends and returns its exit code. `stop()` is asked
// between questions: when it says true, Error::Timeout (the domain runs on).
template <typename Stop>
Result<i32> wait_domain(MonitorLink& link, u64 id, Stop stop) {
    for (;;) {
        DomainState s = TRY(domain_state(link, id));
        if (s.ended) return s.exit_code;
        if (stop()) return Error::Timeout;
        yield();
    }
}

}  // namespace mk::user
