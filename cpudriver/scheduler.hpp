// The per-core scheduler: round robin over this core's runnable dispatchers,
// preempted by the local APIC timer. It lives inside the core's Core and no
// other core ever sees it. When nothing is runnable the core runs its idle
// context: a kernel-mode loop on its own stack (see idle_loop in scheduler.cpp).
#pragma once

#include "base/types.hpp"

namespace mk {

struct Dispatcher;
struct TrapFrame;

class Scheduler {
public:
    using IdleHook = void (*)();

    void add(Dispatcher* d);
    Dispatcher* current() const { return current_; }
    usize live() const { return live_; }

    // Called on the current trap frame: saves the running dispatcher (if any)
    // and loads the next runnable one, or the idle context, into `frame`.
    void reschedule(TrapFrame& frame);
    // The current dispatcher ended: never run it again.
    void retire_current(int exit_code);
    // Makes a blocked dispatcher runnable again (at the back of the queue).
    void wake(Dispatcher* d);
    // Ends a dispatcher that is not running: out of the queue, never run again.
    void retire(Dispatcher* d);
    // Saves the current dispatcher into its context (it stays runnable if it
    // is, at the back of the queue) and runs `next` directly, which must not
    // be queued: the handoff of a protected control transfer.
    void switch_to(TrapFrame& frame, Dispatcher* next);

    // Enters the first runnable dispatcher; never returns. Before that,
    // `idle_stack_top` becomes the idle loop's stack and `hook` runs in the
    // idle loop each time the core has nothing to run (on the BSP: finish the
    // run once the last domain has ended).
    [[noreturn]] void start(u64 idle_stack_top, IdleHook hook);

    IdleHook idle_hook() const { return idle_hook_; }
    bool started() const { return idle_stack_top_ != 0; }

private:
    void save_current(TrapFrame& frame);
    void enqueue(Dispatcher* d);
    void load(TrapFrame& frame, Dispatcher* d);
    void load_idle(TrapFrame& frame);
    void forget_fpu(Dispatcher* d);

    Dispatcher* current_ = nullptr;
    Dispatcher* fpu_owner_ = nullptr;  // whose x87/SSE state the FPU registers hold
    Dispatcher* queue_head_ = nullptr;
    Dispatcher* queue_tail_ = nullptr;
    usize live_ = 0;
    u64 idle_stack_top_ = 0;
    IdleHook idle_hook_ = nullptr;
};

}  // namespace mk
