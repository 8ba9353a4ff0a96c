// See core_setup.hpp.
#include "core_setup.hpp"

#include <new>

#include "lapic.hpp"
#include "paging.hpp"
#include "traps.hpp"
#include "x86.hpp"

namespace mk {

Core& setup_core(const CoreSetup& s, const mem::RangeSet& memory) {
    mem::FramePool pool(memory, paging::phys_to_virt);
    auto pages = pool.alloc(align_up(sizeof(Core), kPageSize) / kPageSize);
    if (!pages.ok()) panic("no memory for this core's state");
    auto* core = new (paging::phys_to_virt(*pages)) Core{};
    core->number = s.number;
    core->apic_id = s.apic_id;
    core->stack_bottom = s.stack_bottom;
    core->stack_top = s.stack_top;
    core->memory = pool;
    install_core(*core);
    load_descriptor_tables(core->tables, s.double_fault_stack_top, s.nmi_stack_top);
    auto pml4 = paging::switch_to_own_pml4(core->memory);
    if (!pml4.ok()) panic("no memory for this core's page table");
    core->pml4 = *pml4;
    lapic::enable();
    lapic::start_periodic_timer(s.timer_count);
    return *core;
}

}  // namespace mk
