// FramePool: one core's own physical memory, handed out in whole pages.
// Each core owns exactly one pool, built from its share of the machine's
// memory at boot, and touches no other core's pool: allocation takes no lock.
// Contiguous runs come from the low end of the ranges; single freed pages go
// onto a free list kept in the pages themselves (through a PhysWriter).
#pragma once

#include "base/result.hpp"
#include "mem/range_set.hpp"

namespace mk::mem {

class FramePool {
public:
    // `to_virtual` turns a physical address into a pointer the owner can
    // write (the CPU driver's direct map; on the host, a buffer).
    using ToVirtual = void* (*)(PhysAddr);

    FramePool() = default;
    FramePool(const RangeSet& share, ToVirtual to_virtual) : free_(share), to_virtual_(to_virtual) {
        free_.page_align();
    }

    // `pages` contiguous pages, or NoMemory. Never returns a page twice.
    Result<PhysAddr> alloc(usize pages = 1);
    // Returns one page to the pool.
    Status free_page(PhysAddr page);

    // Moves all contiguous free memory except the lowest `keep` bytes out of
    // the pool (to be handed over as RAM capabilities). Pages on the free
    // list stay in the pool.
    RangeSet take_all_but(u64 keep);

    u64 free_bytes() const { return free_.total() + free_list_pages_ * kPageSize; }
    const RangeSet& ranges() const { return free_; }

private:
    RangeSet free_;
    ToVirtual to_virtual_ = nullptr;
    PhysAddr free_list_ = 0;  // 0 = empty (page 0 is never in a pool)
    u64 free_list_pages_ = 0;
};

}  // namespace mk::mem
