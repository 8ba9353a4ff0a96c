// What the CPU driver does when the last capability to a Dispatcher or an
// Endpoint goes away (a delete, or a revoke of the RAM it came from): the
// dispatcher stops for good and everything that pointed at it lets go, and
// everyone waiting on the endpoint is woken with Revoked. The capability
// table reports these objects during the operation; the work is done after
// it returns, before the memory can be retyped again.
#include "capsys/reclaim.hpp"

#include "core.hpp"
#include "dispatcher.hpp"
#include "paging.hpp"

namespace mk::capsys {
namespace {

Dispatcher* dispatcher_at(const caps::Capability& c) { return static_cast<Dispatcher*>(paging::phys_to_virt(c.base)); }

void wake_with(Dispatcher* d, Error e) {
    d->context.rax = static_cast<u64>(e);
    d->waiting_on = nullptr;
    d->called = nullptr;
    this_core().scheduler.wake(d);
}

}  // namespace

Span<caps::Cte> KernelReclaimer::embedded_slots(const caps::Capability& c) {
    if (c.type != caps::CapType::Dispatcher) return {};
    Dispatcher* d = dispatcher_at(c);
    if (d->id == 0) return {};  // never set up: its slots were never used
    return Span<caps::Cte>(d->roots, 2);
}

void KernelReclaimer::object_gone(const caps::ObjectGone& g) {
    if (g.cap.type != caps::CapType::Dispatcher && g.cap.type != caps::CapType::Endpoint) return;
    if (count_ < kMax) gone_[count_++] = g.cap;
    else overflowed_ = true;
}

void KernelReclaimer::finish() {
    Scheduler& sched = this_core().scheduler;
    for (usize i = 0; i < count_; ++i) {
        const caps::Capability& c = gone_[i];
        if (c.type == caps::CapType::Endpoint) {
            auto* o = static_cast<EndpointObject*>(paging::phys_to_virt(c.base));
            if (o->receiver != nullptr) wake_with(o->receiver, Error::Revoked);
            for (Dispatcher* s = o->senders_head; s != nullptr;) {
                Dispatcher* next = s->next_sender;
                wake_with(s, Error::Revoked);
                s = next;
            }
            *o = EndpointObject{};
            continue;
        }
        Dispatcher* d = dispatcher_at(c);
        if (d->id == 0 || d->state == DispatcherState::Dead) continue;
        if (d->waiting_on != nullptr) remove_waiter(*static_cast<EndpointObject*>(d->waiting_on), d);
        if (d->called != nullptr && d->called->reply_to == d) d->called->reply_to = nullptr;
        if (d->reply_to != nullptr && d->reply_to->state == DispatcherState::Blocked) wake_with(d->reply_to, Error::Revoked);
        d->reply_to = nullptr;
        sched.retire(d);
    }
    // A capability table this large a revoke can only come from a runaway
    // domain; the dispatchers it could not note stay as they were.
    count_ = 0;
}

void remove_waiter(EndpointObject& o, Dispatcher* d) {
    if (o.receiver == d) o.receiver = nullptr;
    Dispatcher* prev = nullptr;
    for (Dispatcher* s = o.senders_head; s != nullptr; prev = s, s = s->next_sender) {
        if (s != d) continue;
        if (prev != nullptr) prev->next_sender = s->next_sender;
        else o.senders_head = s->next_sender;
        if (o.senders_tail == s) o.senders_tail = prev;
        break;
    }
    d->waiting_on = nullptr;
}

}  // namespace mk::capsys
