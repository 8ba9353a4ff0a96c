// Dispatcher: the CPU driver's record of one domain on one core (Barrelfish's
// DCB). It holds the domain's saved user registers while it does not run,
// its address-space root and its name. The per-core Scheduler picks which
// runnable dispatcher runs next; the timer preempts between them.
#pragma once

#include "abi/syscalls.hpp"
#include "caps/cte.hpp"
#include "base/error.hpp"
#include "base/types.hpp"
#include "traps.hpp"

namespace mk {

enum class DispatcherState : u8 { Runnable, Blocked, Dead };

struct Dispatcher {
    char name[32];
    u32 id;
    DispatcherState state;
    TrapFrame context;   // user registers while not running
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

// A user exception: if the domain installed a fault handler and is not
// already in it, saves the interrupted context in the dispatcher frame and
// redirects `frame` to the handler (an upcall). False when the domain must end.
bool deliver_fault_upcall(Dispatcher& d, TrapFrame& frame, u64 fault_address);

// kSysResume: continues the context saved in the dispatcher frame, sanitised.
Error resume_from_upcall(Dispatcher& d, TrapFrame& frame);

// Builds the first user context: entry point, stack, arguments in rdi/rsi.
void init_user_context(TrapFrame& ctx, u64 entry, u64 stack_top, u64 arg0, u64 arg1);

}  // namespace mk
