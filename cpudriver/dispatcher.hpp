// Dispatcher: the CPU driver's record of one domain on one core (Barrelfish's
// DCB). It holds the domain's saved user registers while it does not run,
// its address-space root and its name. The per-core Scheduler picks which
// runnable dispatcher runs next; the timer preempts between them.
#pragma once

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
    Dispatcher* next;    // run-queue link, owned by the Scheduler
    int exit_code;
};

// Builds the first user context: entry point, stack, arguments in rdi/rsi.
void init_user_context(TrapFrame& ctx, u64 entry, u64 stack_top, u64 arg0, u64 arg1);

}  // namespace mk
