// Trap dispatch: exceptions become fault reports, device interrupts go to
// their handlers. See traps.hpp.
#include "traps.hpp"

#include "capsys/core_caps.hpp"
#include "ioapic.hpp"

#include "core.hpp"
#include "dispatcher.hpp"
#include "domains.hpp"
#include "lapic.hpp"
#include "x86.hpp"

namespace mk {

namespace {
struct StubEntry {
    u8 vector;
    u8 pad[7];
    u64 address;
};
}  // namespace

extern "C" const StubEntry trap_stub_table[];
extern "C" const StubEntry trap_stub_table_end[];

u64 trap_stub_address(u8 vector) {
    for (const StubEntry* e = trap_stub_table; e < trap_stub_table_end; ++e) {
        if (e->vector == vector) return e->address;
    }
    return 0;
}

// kSysWaitEvent's other half: an event (a wake IPI) or the waiter's timeout.
void signal_event(TrapFrame& frame, bool timeout) {
    Core& c = this_core();
    Dispatcher* d = c.event_waiter;
    if (d == nullptr) {
        if (!timeout) c.event_pending = true;  // for the next wait
        return;
    }
    c.event_waiter = nullptr;
    if (d->state != DispatcherState::Blocked) return;
    d->context.rax = static_cast<u64>(timeout ? Error::Timeout : Error::Ok);
    Scheduler& sched = c.scheduler;
    sched.wake(d);
    if (sched.started() && sched.current() == nullptr) {
        sched.reschedule(frame);  // leave the idle loop now
    } else if (!timeout && (frame.cs & 3) != 0) {
        // A wake IPI that interrupted another dispatcher: the waiter (the
        // monitor) gets the core now rather than at the next tick, so a
        // message to a monitor whose core is busy with user code is answered
        // in microseconds (a TLB shootdown waits for exactly that,
        // docs/shootdown.md). The preempted dispatcher is saved as on a tick.
        sched.reschedule(frame);
    }
}

extern "C" void trap_dispatch(TrapFrame* frame) {
    bool from_user = (frame->cs & 3) != 0;
    Scheduler& sched = this_core().scheduler;
    switch (frame->vector) {
        case kVectorTimer:
            this_core().timer_ticks = this_core().timer_ticks + 1;
            lapic::eoi();
            if (this_core().poll_mail != nullptr) this_core().poll_mail();
            if (this_core().event_waiter != nullptr && this_core().timer_ticks >= this_core().event_deadline) {
                signal_event(*frame, true);
            }
            // Preempt user code, or leave the idle loop; never kernel code.
            if (from_user || (sched.started() && sched.current() == nullptr)) sched.reschedule(*frame);
            return;
        case kVectorWake:
            // Waking the core from HLT was the point; and a dispatcher may wait for it.
            lapic::eoi();
            signal_event(*frame, false);
            return;
        case kVectorSpurious:
            return;  // no EOI for spurious interrupts (SDM 3A, 11.9)
        default:
            if (frame->vector >= ioapic::kFirstVector && frame->vector < ioapic::kFirstVector + ioapic::kIsaLines) {
                capsys::irq_fired(static_cast<u32>(frame->vector - ioapic::kFirstVector));
                lapic::eoi();
                return;
            }
            if (from_user && frame->vector < 32) {
                // The domain's own handler gets the fault (an upcall); a
                // domain without one, faulting inside it or while disabled,
                // ends alone. The kernel and the other domains carry on.
                Dispatcher* d = sched.current();
                FaultOutcome o = FaultOutcome::NoHandler;
                if (d != nullptr) o = deliver_fault_upcall(*d, *frame, frame->vector == 14 ? x86::read_cr2() : 0);
                if (o == FaultOutcome::Delivered) return;
                end_current_domain(-1, frame, o == FaultOutcome::WhileDisabled ? " while disabled" : "");
                sched.reschedule(*frame);
                return;
            }
            report_fault(*frame);
    }
}

}  // namespace mk
