// See core_setup.hpp.
#include "core_setup.hpp"

#include <new>

#include "capsys/core_caps.hpp"
#include "fpu.hpp"
#include "lapic.hpp"
#include "paging.hpp"
#include "traps.hpp"
#include "user_access.hpp"
#include "x86.hpp"

extern "C" void syscall_entry();

namespace mk {
namespace {

// SYSCALL/SYSRET (SDM 2B; SDM 3A 5.8.8): the entry point, the selectors in
// STAR (kernel CS 0x08, SS 0x10; user SS 0x18, CS 0x20 from base 0x10), and
// the RFLAGS bits cleared on entry (IF, TF, DF, AC: the kernel runs with
// interrupts off and the user cannot smuggle in single-stepping or AC).
void enable_system_calls() {
    x86::wrmsr(x86::kMsrEfer, x86::rdmsr(x86::kMsrEfer) | 1);  // SCE
    x86::wrmsr(0xC0000081, (u64{0x10} << 48) | (u64{GDT_KERNEL_CODE} << 32));  // STAR
    x86::wrmsr(0xC0000082, reinterpret_cast<u64>(&syscall_entry));              // LSTAR
    x86::wrmsr(0xC0000084, 0x40700);                                            // FMASK
    x86::wrmsr(0xC0000102, 0);  // KERNEL_GS_BASE: the user's GS base until the first SWAPGS
}

}  // namespace

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
    core->share = memory;
    auto caps_pages = core->memory.alloc(align_up(sizeof(capsys::CoreCaps), kPageSize) / kPageSize);
    if (!caps_pages.ok()) panic("no memory for this core's capability table");
    core->caps = new (paging::phys_to_virt(*caps_pages)) capsys::CoreCaps();
    core->kernel_stack_top = s.stack_top;
    install_core(*core);
    load_descriptor_tables(core->tables, s.stack_top, s.double_fault_stack_top, s.nmi_stack_top);
    enable_system_calls();
    bool smep = false, smap = false;
    enable_user_protection(smep, smap);
    fpu::enable_on_this_core();  // every domain's x87/SSE state is switched from the first dispatch on
    auto pml4 = paging::switch_to_own_pml4(core->memory);
    if (!pml4.ok()) panic("no memory for this core's page table");
    core->pml4 = *pml4;
    lapic::enable();
    lapic::start_periodic_timer(s.timer_count);
    return *core;
}

}  // namespace mk
