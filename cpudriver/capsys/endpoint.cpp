// Same-core protected control transfer (lib/abi/caps.hpp, kSysCall and
// kSysReplyRecv). An Endpoint object is a rendezvous: a receiver waits on it,
// a caller hands it seven words (and perhaps a capability) and waits for the
// reply. When the receiver is already waiting the words go register to
// register and the core switches straight to it, without the scheduler's queue.
#include "capsys/core_caps.hpp"
#include "capsys/reclaim.hpp"
#include "core.hpp"
#include "dispatcher.hpp"
#include "paging.hpp"

namespace mk::capsys {
namespace {


EndpointObject& object(const caps::Capability& c) { return *static_cast<EndpointObject*>(paging::phys_to_virt(c.base)); }

void copy_words(TrapFrame& to, const TrapFrame& from) {
    to.rdx = from.rdx;
    to.r10 = from.r10;
    to.r8 = from.r8;
    to.r9 = from.r9;
    to.r12 = from.r12;
    to.r13 = from.r13;
    to.r14 = from.r14;
}

void fail(TrapFrame& f, Error e) {
    f.rax = static_cast<u64>(e);
    f.rdx = 0;
}

// The capability a caller offers, already checked (Grant), or nullptr.
Result<caps::Cte*> offered_cap(CoreCaps& cc, Dispatcher& d, u64 address) {
    if (address == abi::kNoCap) return static_cast<caps::Cte*>(nullptr);
    caps::Cte* c = TRY(resolve_cap(cc, d, address, caps::CapType::Null));
    if (!caps::has_rights(c->cap().rights, caps::Rights::Grant)) return Error::NoRights;
    return c;
}

// Delivers `sender`'s message (its saved registers) to `receiver`'s frame,
// with the capability if one was offered. Checked before anything moves.
Error deliver(CoreCaps& cc, Dispatcher& sender, const TrapFrame& message, u64 badge, Dispatcher& receiver,
              TrapFrame& receiver_frame) {
    auto offered = offered_cap(cc, sender, message.rsi);
    if (!offered.ok()) return offered.error();
    caps::Cte* slot = nullptr;
    if (*offered != nullptr) {
        if (receiver.receive_slot == abi::kNoCap) return Error::InvalidArgument;  // the receiver takes no capability
        auto s = empty_slot(cc, receiver, receiver.receive_slot);
        if (!s.ok()) return s.error();
        slot = *s;
        Status copied = cc.table.copy(**offered, *slot);
        if (!copied.ok()) return copied.error();
    }
    copy_words(receiver_frame, message);
    receiver_frame.rax = static_cast<u64>(Error::Ok);
    receiver_frame.rbx = badge;
    receiver_frame.rsi = slot != nullptr ? 1 : 0;
    receiver.reply_to = &sender;
    return Error::Ok;
}

// The Endpoint capability the caller names in RDI.
Result<caps::Cte*> endpoint_in_rdi(CoreCaps& cc, Dispatcher* me, const TrapFrame& f) {
    if (me == nullptr) return Error::InvalidCap;
    return resolve_cap(cc, *me, f.rdi, caps::CapType::Endpoint);
}

}  // namespace

void sys_call(TrapFrame& f) {
    Scheduler& sched = this_core().scheduler;
    Dispatcher* me = sched.current();
    CoreCaps& cc = *this_core().caps;
    auto ep = endpoint_in_rdi(cc, me, f);
    if (!ep.ok()) return fail(f, ep.error());
    u64 badge = (*ep)->cap().badge();
    EndpointObject& o = object((*ep)->cap());
    if (o.receiver != nullptr) {
        Dispatcher* r = o.receiver;
        Error e = deliver(cc, *me, f, badge, *r, r->context);
        if (e != Error::Ok) return fail(f, e);
        o.receiver = nullptr;
        r->waiting_on = nullptr;
        me->called = r;
        me->state = DispatcherState::Blocked;  // until the reply
        sched.switch_to(f, r);
        return;
    }
    // No receiver yet: wait in the queue; the message stays in our registers.
    auto offered = offered_cap(cc, *me, f.rsi);
    if (!offered.ok()) return fail(f, offered.error());
    me->call_badge = badge;
    me->next_sender = nullptr;
    if (o.senders_tail != nullptr) o.senders_tail->next_sender = me;
    else o.senders_head = me;
    o.senders_tail = me;
    me->waiting_on = &o;
    me->state = DispatcherState::Blocked;
    sched.reschedule(f);
}

void sys_reply(TrapFrame& f) {
    Scheduler& sched = this_core().scheduler;
    Dispatcher* me = sched.current();
    Dispatcher* caller = me != nullptr ? me->reply_to : nullptr;
    if (caller == nullptr || caller->state != DispatcherState::Blocked) return fail(f, Error::NotFound);
    copy_words(caller->context, f);
    caller->context.rax = static_cast<u64>(Error::Ok);
    caller->called = nullptr;
    me->reply_to = nullptr;
    sched.wake(caller);
    f.rax = static_cast<u64>(Error::Ok);
}

void sys_reply_recv(TrapFrame& f) {
    Scheduler& sched = this_core().scheduler;
    Dispatcher* me = sched.current();
    CoreCaps& cc = *this_core().caps;
    auto ep = endpoint_in_rdi(cc, me, f);
    if (!ep.ok()) return fail(f, ep.error());
    EndpointObject& o = object((*ep)->cap());
    if (o.receiver != nullptr && o.receiver != me) return fail(f, Error::Busy);  // one receiver per endpoint
    // The reply, if we owe one: straight into the caller's registers.
    Dispatcher* caller = me->reply_to;
    if (caller != nullptr && caller->state == DispatcherState::Blocked) {
        copy_words(caller->context, f);
        caller->context.rax = static_cast<u64>(Error::Ok);
    }
    me->reply_to = nullptr;
    me->receive_slot = f.rsi;
    // A caller already waiting: take its message now and return to it.
    while (o.senders_head != nullptr) {
        Dispatcher* s = o.senders_head;
        o.senders_head = s->next_sender;
        if (o.senders_head == nullptr) o.senders_tail = nullptr;
        if (s->state != DispatcherState::Blocked) continue;  // ended while waiting
        s->waiting_on = nullptr;
        Error e = deliver(cc, *s, s->context, s->call_badge, *me, f);
        if (e != Error::Ok) {  // the caller's capability cannot be taken: it gets the error
            s->context.rax = static_cast<u64>(e);
            sched.wake(s);
            continue;
        }
        s->called = me;
        if (caller != nullptr && caller->state == DispatcherState::Blocked) {
            caller->called = nullptr;
            sched.wake(caller);
        }
        return;
    }
    // Wait; hand the core to the caller we just answered, if any.
    o.receiver = me;
    me->waiting_on = &o;
    me->state = DispatcherState::Blocked;
    if (caller != nullptr && caller->state == DispatcherState::Blocked) {
        caller->called = nullptr;
        sched.switch_to(f, caller);
        return;
    }
    sched.reschedule(f);
}

}  // namespace mk::capsys
