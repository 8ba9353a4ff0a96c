// Application-processor start-up (SDM 3A, 9.4.4 "MP Initialization Example").
#include "smp.hpp"

#include <new>

#include "base/string.hpp"
#include "ap.hpp"
#include "bsp.hpp"
#include "console.hpp"
#include "lapic.hpp"
#include "layout.h"
#include "mem/frame_pool.hpp"
#include "paging.hpp"
#include "tsc.hpp"
#include "x86.hpp"

extern "C" const mk::u8 trampoline_start[];
extern "C" const mk::u8 trampoline_end[];
extern "C" const mk::u8 trampoline_params[];
extern "C" [[noreturn]] void ap_main(mk::smp::ApBootParams* params);

namespace mk::smp {
namespace {

// Matches the parameter block at the end of boot/trampoline.S.
struct TrampolineParams {
    u64 cr3;
    u64 efer_bits;
    u64 stack;
    u64 entry;
    u64 arg;
};

u64 stack_top_of(PhysAddr base, usize pages) {
    return reinterpret_cast<u64>(paging::phys_to_virt(base)) + pages * kPageSize;
}

bool wait_alive(u32 number, u64 timeout_us) {
    return wait_for_core(number, [](CoreLink& l) { return l.alive; }, timeout_us);
}

}  // namespace

StartResult start_core(u32 number, u32 apic_id, const mem::RangeSet& share, urpc::Frame* link, u32 timer_count,
                       const boot::BootInfo* boot_info) {
    // Carve the AP's parameter page and stacks from its own share; what
    // remains becomes its frame pool.
    mem::FramePool pool(share, paging::phys_to_virt);
    auto params_page = pool.alloc();
    auto stack = pool.alloc(kKernelStackPages);
    auto df_stack = pool.alloc();
    auto nmi_stack = pool.alloc();
    auto link_state = pool.alloc(kApStatePages);
    if (!params_page.ok() || !stack.ok() || !df_stack.ok() || !nmi_stack.ok() || !link_state.ok()) {
        console::log("core %u: its memory share is too small to start it", number);
        return {false, 0};
    }
    auto* params = new (paging::phys_to_virt(*params_page)) ApBootParams{};
    params->setup = CoreSetup{number,
                              apic_id,
                              reinterpret_cast<u64>(paging::phys_to_virt(*stack)),
                              stack_top_of(*stack, kKernelStackPages),
                              stack_top_of(*df_stack, 1),
                              stack_top_of(*nmi_stack, 1),
                              timer_count};
    params->link = link;
    params->link_state = paging::phys_to_virt(*link_state);
    params->bsp_apic = bsp_peers().apic[0];
    params->boot_info = boot_info;
    params->memory = pool.ranges();

    // The trampoline code and its parameter block, at TRAMPOLINE_PHYS.
    auto* page = static_cast<u8*>(paging::phys_to_virt(TRAMPOLINE_PHYS));
    usize size = static_cast<usize>(trampoline_end - trampoline_start);
    __builtin_memcpy(page, trampoline_start, size);
    auto* tp = reinterpret_cast<TrampolineParams*>(page + (trampoline_params - trampoline_start));
    tp->cr3 = paging::boot_pml4_phys();
    tp->efer_bits = x86::rdmsr(x86::kMsrEfer) & ((1u << 8) | (1u << 11));  // LME, NXE as on the BSP
    tp->stack = params->setup.stack_top;
    tp->entry = reinterpret_cast<u64>(&ap_main);
    tp->arg = reinterpret_cast<u64>(params);

    u64 t0 = x86::rdtsc();
    if (!lapic::send_init(apic_id)) {
        console::log("core %u: INIT IPI to APIC %u not accepted", number, apic_id);
        return {false, 0};
    }
    // The MP specification waits 10 ms after INIT; processors from family 6
    // on do not need it (as Linux also concludes), so only older ones wait.
    tsc::spin_us((x86::cpuid(1).eax >> 8 & 0xF) >= 6 ? 10 : 10000);
    // Two STARTUPs, the second only if the first did not take (SDM 3A, 9.4.4.1).
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!lapic::send_startup(apic_id, TRAMPOLINE_PHYS >> 12)) {
            console::log("core %u: STARTUP IPI to APIC %u not accepted", number, apic_id);
            return {false, 0};
        }
        if (wait_alive(number, attempt == 0 ? 2000 : 2000000)) return {true, x86::rdtsc() - t0};
    }
    console::log("core %u: APIC %u did not report in after INIT-SIPI-SIPI", number, apic_id);
    return {false, 0};
}

}  // namespace mk::smp
