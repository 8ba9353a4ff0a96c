// Starting the other cores. The BSP prepares each application processor's
// parameters in that core's own memory, wakes it with INIT-SIPI-SIPI through
// the trampoline, and learns that it runs only from a message in their boot
// channel (a URPC frame carrying idl/boot.capnp's interfaces). After that the
// two share nothing but that frame.
#pragma once

#include "boot/boot_info.hpp"
#include "core_setup.hpp"
#include "mem/range_set.hpp"
#include "urpc/frame.hpp"

namespace mk::smp {

inline constexpr usize kMaxCores = 64;
inline constexpr usize kKernelStackPages = 4;

// What the BSP hands an application processor, in a page of the AP's share.
struct ApBootParams {
    CoreSetup setup;                  // what setup_core needs: number, stacks, timer
    urpc::Frame* link;                // the channel to the BSP, reset by the BSP
    void* link_state;                 // pages of this core's share for its end of the link
    u32 bsp_apic;
    const boot::BootInfo* boot_info;  // read-only after boot
    mem::RangeSet memory;  // the rest of this core's share, now its own
};

struct StartResult {
    bool alive;        // the core reported from its own code
    u64 alive_cycles;  // from INIT to its first message
};

// Starts core `number` with APIC id `apic_id` on `share`, with `link` (a
// reset frame) as its channel to the BSP. Blocks until the core's Boot.coreAlive
// arrives (or a timeout), so the trampoline page can be reused for the next core.
StartResult start_core(u32 number, u32 apic_id, const mem::RangeSet& share, urpc::Frame* link, u32 timer_count,
                       const boot::BootInfo* boot_info);

}  // namespace mk::smp
