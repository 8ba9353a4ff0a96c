// Wait policies for the blocking calls of an Endpoint: what to do between
// two polls that found nothing. SpinWait only spins (hosted code, and cores
// that own their CPU); SpinThenHalt spins for a while and then sleeps until
// the peer wakes it, with the sleep itself supplied by the CPU driver
// ("halt until IPI") so that this library stays hardware-free.
#pragma once

#include "base/atomic.hpp"
#include "urpc/endpoint.hpp"

namespace mk::urpc {

// Spins with PAUSE. Gives up after max_polls polls of one blocking call;
// 0 means never give up.
class SpinWait {
public:
    explicit constexpr SpinWait(u64 max_polls = 0) : max_polls_(max_polls) {}
    void begin() { polls_ = 0; }
    bool wait(Endpoint&, WaitFor) {
        cpu_relax();
        return max_polls_ == 0 || ++polls_ < max_polls_;
    }

private:
    u64 max_polls_;
    u64 polls_ = 0;
};

// What SpinThenHalt needs from its environment: halt() sleeps until an
// interrupt (returning false gives up the blocking call), wake_peer() sends
// the peer core an IPI.
template <typename S>
concept Sleeper = requires(S& s) {
    { s.halt() } -> std::same_as<bool>;
    s.wake_peer();
};

// Spins spin_budget polls, then runs the sleep handshake of docs/urpc.md:
// announce (set_waiting, which also reports everything we consumed), wake
// the peer if that report is news it may be sleeping on, look once more,
// and only then halt. The peer does the mirror image after it publishes
// (Endpoint::peer_needs_wakeup), so a wakeup cannot be lost between our
// last look and the halt.
template <Sleeper S>
class SpinThenHalt {
public:
    SpinThenHalt(u32 spin_budget, S& sleeper) : spin_budget_(spin_budget), sleeper_(sleeper) {}
    void begin() { spins_ = 0; }
    bool wait(Endpoint& ep, WaitFor what) {
        if (spins_ < spin_budget_) {
            ++spins_;
            cpu_relax();
            return true;
        }
        spins_ = 0;
        ep.set_waiting(true);
        if (ep.peer_needs_wakeup()) sleeper_.wake_peer();
        const bool ready = what == WaitFor::Message ? ep.has_message() : ep.can_send();
        const bool keep_going = ready || sleeper_.halt();
        ep.set_waiting(false);
        return keep_going;
    }

private:
    u32 spin_budget_;
    u32 spins_ = 0;
    S& sleeper_;
};

}  // namespace mk::urpc
