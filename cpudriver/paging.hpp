// Kernel address space: the direct map of physical memory and each core's
// own top-level page table.
//
// The boot page tables (boot/entry.S) map the first 1 GiB at 0 and at the
// kernel base. The BSP adds the direct map (all of the first 4 GiB at
// DIRECT_MAP_BASE, 2 MiB pages, the top GiB uncached for MMIO) before any
// other core starts; after that, these shared lower-level tables are never
// written again. Each core then switches to its own PML4 that shares the
// kernel half (entries 256..511) and has no identity map.
#pragma once

#include "base/result.hpp"
#include "layout.h"
#include "mem/frame_pool.hpp"

namespace mk::paging {

inline void* phys_to_virt(PhysAddr p) { return reinterpret_cast<void*>(DIRECT_MAP_BASE + p); }
inline PhysAddr kernel_virt_to_phys(const void* v) { return reinterpret_cast<u64>(v) - KERNEL_VMA_OFFSET; }

// Symbols of the low .boot section are linked at their physical addresses;
// this is where the kernel mapping of the first GiB shows them, which stays
// valid after the identity map is gone.
template <typename T>
T* boot_section_ptr(T* low) {
    return reinterpret_cast<T*>(reinterpret_cast<u64>(low) + KERNEL_VMA_OFFSET);
}

// BSP, first thing: builds the direct map into the boot PML4.
void build_direct_map();
// The boot PML4's physical address (the trampoline's CR3).
PhysAddr boot_pml4_phys();
// Allocates this core's own PML4 from its pool and switches to it.
Result<PhysAddr> switch_to_own_pml4(mem::FramePool& pool);

}  // namespace mk::paging
