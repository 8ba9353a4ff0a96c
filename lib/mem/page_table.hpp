// x86-64 four-level page tables (SDM 3A, 4.5), as data: map, translate and
// unmap 4 KiB pages in the lower (user) half of an address space. The CPU
// driver uses it to build a monitor's first address space; it reaches the
// tables through a physical-to-virtual function, so tests run it on a buffer.
//
// Rules it enforces: user mappings only below the canonical hole, never
// writable and executable at once (W^X), never over an existing mapping.
#pragma once

#include "base/result.hpp"

namespace mk::mem {

struct PageFlags {
    bool write = false;
    bool exec = false;
    bool user = true;
};

inline constexpr u64 kUserTop = 0x0000800000000000;  // end of the lower canonical half

class PageTable {
public:
    using ToVirtual = void* (*)(PhysAddr);
    using AllocTable = Result<PhysAddr> (*)(void* ctx);  // a zeroed 4 KiB page

    PageTable(PhysAddr pml4, ToVirtual to_virtual, AllocTable alloc, void* alloc_ctx)
        : pml4_(pml4), to_virtual_(to_virtual), alloc_(alloc), alloc_ctx_(alloc_ctx) {}

    Status map(u64 va, PhysAddr pa, PageFlags flags);
    // The physical page behind va, or NotFound.
    Result<PhysAddr> translate(u64 va, PageFlags* flags = nullptr) const;
    // Removes the mapping and returns the page it pointed to.
    Result<PhysAddr> unmap(u64 va);

    PhysAddr root() const { return pml4_; }

    static constexpr u64 kPresent = 1ull << 0;
    static constexpr u64 kWritable = 1ull << 1;
    static constexpr u64 kUser = 1ull << 2;
    static constexpr u64 kNoExecute = 1ull << 63;
    static constexpr u64 kAddressMask = 0x000FFFFFFFFFF000ull;

private:
    Result<u64*> walk(u64 va, bool create) const;

    PhysAddr pml4_;
    ToVirtual to_virtual_;
    AllocTable alloc_;
    void* alloc_ctx_;
};

}  // namespace mk::mem
