// User-level virtual memory (the exokernel idea: the CPU driver only checks
// each step, this library decides). A Region is a range of the domain's own
// address space backed lazily: the first touch of a page faults, the fault
// upcall lands in Region's handler, which makes a Frame from the domain's RAM,
// maps it (creating the page-table levels it needs, also from RAM) and resumes.
#pragma once

#include "abi/caps.hpp"
#include "base/result.hpp"

namespace mk::user {

class SlotAllocator {
public:
    // Hands out the slots of one L2 CNode (given by its L1 index) in order.
    explicit SlotAllocator(u32 l1) : l1_(l1) {}
    Result<u32> next();

private:
    u32 l1_;
    u32 used_ = 0;
};

class AddressSpace {
public:
    // `vspace` is the domain's Pml4 capability, `ram` a RAM capability to make
    // frames and tables from (used from its start, one page at a time).
    AddressSpace(u32 vspace, u32 ram, u64 ram_bytes, SlotAllocator& slots)
        : vspace_(vspace), ram_(ram), ram_bytes_(ram_bytes), slots_(slots) {}

    // Makes a fresh zeroed page and maps it at `va` (write, never execute);
    // returns the Frame capability's address.
    Result<u32> map_new_page(u64 va);
    u64 pages_made() const { return pages_made_; }
    // Retypes one object of `type` (a CapType number) and 2^size_log2 bytes
    // from the RAM; returns its capability's address.
    Result<u32> make(u32 type, u32 size_log2);

private:
    // The table capability for `va` at `level` (3 = Pdpt under the Pml4 ...),
    // installing one if the entry is empty.
    Result<u32> table_for(u64 va, int level);

    u32 vspace_, ram_;
    u64 ram_bytes_, ram_used_ = 0, pages_made_ = 0;
    SlotAllocator& slots_;
    // The tables this address space installed: (level, first address covered) -> capability.
    struct Table {
        int level;
        u64 base;
        u32 cap;
    };
    Table tables_[64] = {};
    usize table_count_ = 0;
};

// Installs the lazy-allocation fault handler for [base, base + bytes): a page
// fault inside allocates and maps the page, any other fault ends the domain.
void serve_lazily(AddressSpace& space, u64 base, u64 bytes);

}  // namespace mk::user
