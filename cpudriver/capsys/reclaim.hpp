// The CPU driver's Reclaimer (lib/caps/table.hpp): see reclaim.cpp.
#pragma once

#include "caps/table.hpp"

namespace mk {
struct Dispatcher;
}

namespace mk::capsys {

// The Endpoint object, in the 64 bytes its capability names.
struct EndpointObject {
    Dispatcher* receiver;      // waiting in kSysReplyRecv, or null
    Dispatcher* senders_head;  // callers waiting for a receiver
    Dispatcher* senders_tail;
};
static_assert(sizeof(EndpointObject) <= caps::kEndpointBytes);

// Takes `d` out of the endpoint it waits on.
void remove_waiter(EndpointObject& o, Dispatcher* d);

class KernelReclaimer final : public caps::Reclaimer {
public:
    Span<caps::Cte> embedded_slots(const caps::Capability& c) override;
    void object_gone(const caps::ObjectGone& g) override;
    // Call after the delete or revoke has returned.
    void finish();

private:
    static constexpr usize kMax = 64;
    caps::Capability gone_[kMax];
    usize count_ = 0;
    bool overflowed_ = false;
};

}  // namespace mk::capsys
