// Dispatcher: the CPU driver's record of one domain on one core (Barrelfish's
// DCB). It holds the domain's saved user registers and x87/SSE state while it
// does not run, its address-space root and its name. The per-core Scheduler
// picks which runnable dispatcher runs next; the timer preempts between them.
// A dispatcher whose domain set a run entry in its dispatcher frame gets
// scheduler activations: see save_user_state below and docs/user-level.md.
#pragma once

#include "abi/syscalls.hpp"
#include "caps/cte.hpp"
#include "base/error.hpp"
#include "base/types.hpp"
#include "traps.hpp"

namespace mk {

enum class DispatcherState : u8 { Runnable, Blocked, Dead };

struct Dispatcher {
    // The x87/SSE state while another dispatcher owns the FPU (the
    // Scheduler switches it). Kernel memory, so FXRSTOR never sees a state a
    // domain could have made invalid. First, so it is 16-byte aligned.
    abi::FpuState fpu;
    char name[32];
    u32 id;
    DispatcherState state;
    TrapFrame context;   // user registers while not running (what the next dispatch loads)
    bool resume_disabled;  // the next dispatch resumes DispatcherFrame::disabled_area instead
    PhysAddr pml4;       // the domain's address-space root on this core
    PhysAddr frame;      // the dispatcher frame page (abi::DispatcherFrame)
    Dispatcher* next;    // run-queue link, owned by the Scheduler
    int exit_code;
    // Copies of the domain's root CNode and Pml4 capabilities. They live in
    // the Dispatcher object, so destroying the object empties them first
    // (capsys/reclaim.cpp gives them to the capability table as embedded slots).
    caps::Cte roots[2];
    caps::Cte& cspace() { return roots[0]; }
    caps::Cte& vspace() { return roots[1]; }
    // Same-core protected control transfer (capsys/endpoint.cpp).
    Dispatcher* reply_to;     // the caller this dispatcher owes a reply
    Dispatcher* next_sender;  // link in an endpoint's queue of blocked callers
    u64 call_badge;           // the badge of the endpoint capability a queued caller used
    u64 receive_slot;         // where a capability that comes with the next message goes
    void* waiting_on;         // the endpoint object this dispatcher is blocked on, if any
    Dispatcher* called;       // the callee whose reply this dispatcher waits for, if any

    abi::DispatcherFrame& shared() const;
};
static_assert(sizeof(Dispatcher) <= 1024, "a Dispatcher object is kDispatcherBytes");

// True when the domain asked for scheduler activations on this dispatcher
// (a run entry and an upcall stack in its dispatcher frame).
bool has_activations(const Dispatcher& d);

// The dispatcher stops running with `frame` its user registers (it is
// preempted, yields, blocks or hands the core on). Decides how it continues:
//  - after a system call, or without activations: `frame` is resumed as it
//    is (a blocking call returns normally once woken);
//  - preempted while enabled: the registers go to the frame's enabled_area
//    and the next dispatch is a run upcall, disabled, on the upcall stack;
//  - preempted while disabled: the registers go to the frame's
//    disabled_area, and the next dispatch resumes them.
void save_user_state(Dispatcher& d, const TrapFrame& frame);
// Fills `frame` with what the next dispatch of `d` runs (see save_user_state).
void load_user_state(Dispatcher& d, TrapFrame& frame);

// Why a user exception could not be given to the domain.
enum class FaultOutcome { Delivered, NoHandler, InHandler, WhileDisabled };
// A user exception: if the domain installed a fault handler, is not already
// in it and (with activations) is enabled, saves the interrupted context and
// its x87/SSE state in the dispatcher frame and redirects `frame` to the
// handler (an upcall, disabled). Anything but Delivered: the domain must end.
FaultOutcome deliver_fault_upcall(Dispatcher& d, TrapFrame& frame, u64 fault_address);

// kSysResume: continues the context saved in the dispatcher frame, sanitised,
// with its x87/SSE state, and enables the dispatcher.
Error resume_from_upcall(Dispatcher& d, TrapFrame& frame);

// kSysResumeEnabled: continues the registers at user address `regs`,
// sanitised, and enables the dispatcher, in one step: the race-free way for a
// runtime to leave disabled mode into a thread.
Error resume_enabled(Dispatcher& d, TrapFrame& frame, u64 regs);

// Builds the first user context: entry point, stack, arguments in rdi/rsi.
void init_user_context(TrapFrame& ctx, u64 entry, u64 stack_top, u64 arg0, u64 arg1);

}  // namespace mk
