// The steps every core takes to become an independent CPU driver, whether
// it is the BSP or an application processor: allocate its Core from its own
// memory, load its own descriptor tables and page table, enable its local
// APIC and timer.
#pragma once

#include "core.hpp"
#include "mem/range_set.hpp"

namespace mk {

struct CoreSetup {
    u32 number;
    u32 apic_id;
    u64 stack_bottom;
    u64 stack_top;
    u64 double_fault_stack_top;
    u64 nmi_stack_top;
    u32 timer_count;
};

// Returns the installed Core; panics if the core's own memory cannot hold it.
Core& setup_core(const CoreSetup& setup, const mem::RangeSet& memory);

}  // namespace mk
