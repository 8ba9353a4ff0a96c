// Round-robin scheduling of a core's dispatchers; see scheduler.hpp.
#include "scheduler.hpp"

#include "core.hpp"
#include "dispatcher.hpp"
#include "x86.hpp"

extern "C" [[noreturn]] void trap_return(mk::TrapFrame* frame);

namespace mk {
namespace {

// The idle context: halts until an interrupt; the timer's reschedule then
// moves the core into a dispatcher if one became runnable.
[[noreturn]] void idle_loop() {
    for (;;) {
        x86::cli();
        if (auto hook = this_core().scheduler.idle_hook()) hook();
        x86::sti_hlt();
    }
}

}  // namespace

void init_user_context(TrapFrame& ctx, u64 entry, u64 stack_top, u64 arg0, u64 arg1) {
    ctx = TrapFrame{};
    ctx.rip = entry;
    ctx.cs = USER_CODE_SELECTOR;
    ctx.rflags = 0x202;  // IF: user code always runs with interrupts on
    ctx.rsp = stack_top;
    ctx.ss = USER_DATA_SELECTOR;
    ctx.rdi = arg0;
    ctx.rsi = arg1;
}

void Scheduler::add(Dispatcher* d) {
    enqueue(d);
    ++live_;
}

void Scheduler::load(TrapFrame& frame, Dispatcher* d) {
    // The common case inline (a plain resume); the disabled-area resume
    // reads and sanitises user memory (dispatcher.cpp).
    if (d->resume_disabled) load_user_state(*d, frame);
    else frame = d->context;
    if (x86::read_cr3() != d->pml4) x86::write_cr3(d->pml4);
    // The FPU registers hold the state of the last dispatcher that ran (the
    // idle loop and the CPU driver never touch them), so a switch back to
    // the same dispatcher, the common case with one busy domain, costs
    // nothing. Eager rather than lazy (CR0.TS and #NM): simpler, and
    // every user domain may now use SSE anyway.
    if (fpu_owner_ != d) {
        if (fpu_owner_ != nullptr) x86::fxsave(&fpu_owner_->fpu);
        x86::fxrstor(&d->fpu);
        fpu_owner_ = d;
    }
    current_ = d;
}

void Scheduler::forget_fpu(Dispatcher* d) {
    // A dead dispatcher's state is never needed again, and its object may be
    // reclaimed: the next load must not save into it.
    if (fpu_owner_ == d) fpu_owner_ = nullptr;
}

void Scheduler::load_idle(TrapFrame& frame) {
    frame = TrapFrame{};
    frame.rip = reinterpret_cast<u64>(&idle_loop);
    frame.cs = GDT_KERNEL_CODE;
    frame.rflags = 0x2;  // the idle loop enables interrupts itself
    frame.rsp = idle_stack_top_;
    frame.ss = GDT_KERNEL_DATA;
    if (x86::read_cr3() != this_core().pml4) x86::write_cr3(this_core().pml4);
    current_ = nullptr;
}

void Scheduler::save_current(TrapFrame& frame) {
    if (current_ == nullptr || current_->state == DispatcherState::Dead) return;
    // A system call that gives the core away returns normally later: inline,
    // as this is every protected call's path. A preemption may become an
    // activation (dispatcher.hpp).
    if (frame.vector == kVectorSyscall) current_->context = frame;
    else save_user_state(*current_, frame);
    if (current_->state == DispatcherState::Runnable) enqueue(current_);
}

void Scheduler::enqueue(Dispatcher* d) {
    d->next = nullptr;
    if (queue_tail_ != nullptr) queue_tail_->next = d;
    else queue_head_ = d;
    queue_tail_ = d;
}

void Scheduler::wake(Dispatcher* d) {
    if (d->state != DispatcherState::Blocked) return;
    d->state = DispatcherState::Runnable;
    enqueue(d);
}

void Scheduler::retire(Dispatcher* d) {
    if (d->state == DispatcherState::Dead) return;
    if (this_core().event_waiter == d) this_core().event_waiter = nullptr;
    Dispatcher** link = &queue_head_;
    Dispatcher* prev = nullptr;
    while (*link != nullptr && *link != d) {
        prev = *link;
        link = &(*link)->next;
    }
    if (*link == d) {
        *link = d->next;
        if (queue_tail_ == d) queue_tail_ = prev;
    }
    d->state = DispatcherState::Dead;
    forget_fpu(d);
    --live_;
}

void Scheduler::switch_to(TrapFrame& frame, Dispatcher* next) {
    save_current(frame);
    next->state = DispatcherState::Runnable;
    load(frame, next);
}

void Scheduler::reschedule(TrapFrame& frame) {
    save_current(frame);
    Dispatcher* next = queue_head_;
    if (next != nullptr) {
        queue_head_ = next->next;
        if (queue_head_ == nullptr) queue_tail_ = nullptr;
        load(frame, next);
    } else {
        load_idle(frame);
    }
}

void Scheduler::retire_current(int exit_code) {
    if (current_ == nullptr) return;
    if (this_core().event_waiter == current_) this_core().event_waiter = nullptr;
    current_->state = DispatcherState::Dead;
    current_->exit_code = exit_code;
    forget_fpu(current_);
    --live_;
}

[[noreturn]] void Scheduler::start(u64 idle_stack_top, IdleHook hook) {
    // With interrupts on, a timer tick after started() turns true could run
    // its own reschedule in the middle of this one: it would find the queue
    // already emptied and load the idle loop, losing the dispatcher picked here.
    x86::cli();
    idle_stack_top_ = idle_stack_top;
    idle_hook_ = hook;
    TrapFrame frame{};
    current_ = nullptr;
    reschedule(frame);
    trap_return(&frame);
}

}  // namespace mk
