// Core: everything one CPU driver instance owns. Each core allocates its own
// Core from its own memory and reaches it through the GS base register, so
// per-core state is found without a lock or a shared table (docs/architecture.md).
#pragma once

#include <cstddef>

#include "base/types.hpp"
#include "descriptors.hpp"
#include "layout.h"
#include "mem/frame_pool.hpp"
#include "scheduler.hpp"

namespace mk {

struct ApState;
namespace capsys {
struct CoreCaps;
}

struct Core {
    Core* self;             // must stay first: this_core() reads %gs:0
    u64 user_rsp_scratch;   // syscall entry parks the user stack pointer here
    u64 kernel_stack_top;   // and switches to this stack
    u32 number;  // 0 = the bootstrap processor, then MADT order
    u32 apic_id;
    u64 stack_bottom;  // bounds for backtraces
    u64 stack_top;
    mem::FramePool memory;  // this core's share of physical memory
    mem::RangeSet share;    // all of that share as it was handed over (for Kernel.capCreate's check)
    mem::RangeSet granted;  // the part of it given to the monitor as RAM
    PhysAddr pml4;          // this core's own top-level page table
    volatile u64 timer_ticks;
    u32 domains_started;
    void (*poll_mail)();  // this core's kernel channels, polled on timer ticks while domains run
    // kSysWaitEvent: the dispatcher waiting for an event (a wake IPI) and
    // until which tick, or an event that came while nobody waited.
    Dispatcher* event_waiter;
    u64 event_deadline;
    bool event_pending;
    ApState* ap_state;       // an application processor's end of its link to the BSP (ap.hpp)
    capsys::CoreCaps* caps;  // this core's capability table and mapping records
    Scheduler scheduler;  // this core's dispatchers
    DescriptorTables tables;
};
static_assert(offsetof(Core, user_rsp_scratch) == CORE_USER_RSP_SCRATCH);
static_assert(offsetof(Core, kernel_stack_top) == CORE_KERNEL_STACK_TOP);

inline Core& this_core() {
    Core* c;
    asm volatile("mov %%gs:0, %0" : "=r"(c));
    return *c;
}

// The number of the running core; 0 before per-core state exists (only the
// BSP runs then).
u32 core_number();
// True once the running core has installed its Core.
bool percore_ready();

// Makes `core` this CPU's per-core state (writes IA32_GS_BASE).
void install_core(Core& core);

}  // namespace mk
