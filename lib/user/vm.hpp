// User-level virtual memory (the exokernel idea: the CPU driver only checks
// each step, this library decides). A RamAllocator makes objects from one of
// the domain's RAM capabilities; an AddressSpace installs page tables and
// frames into a Pml4 (the domain's own, or a new domain's). A lazy Region is
// backed on first touch: the fault upcall lands in its handler, which makes a
// Frame, maps it (creating the page-table levels it needs) and resumes.
#pragma once

#include "abi/caps.hpp"
#include "base/result.hpp"

namespace mk::user {

class RamAllocator;

class SlotAllocator {
public:
    // Hands out the slots of one L2 CNode (given by its L1 index) in order.
    explicit SlotAllocator(u32 l1) : l1_(l1) {}
    // Lets it grow: when its CNode is full, it makes another of 256 slots
    // from `ram` and installs it in the next root CNode slot of [first_l1,
    // end_l1). The last slot of each CNode is kept for that step.
    void grow_from(RamAllocator& ram, u32 first_l1, u32 end_l1) {
        ram_ = &ram;
        next_l1_ = first_l1;
        end_l1_ = end_l1;
    }
    Result<u32> next();
    // Gives back a slot that is empty again, for next() to hand out before
    // any new one (up to kKept of them; beyond that a slot stays unused).
    void release(u32 slot) {
        if (kept_ < kKept) returned_[kept_++] = slot;
    }

private:
    static constexpr u32 kSlots = 256;
    static constexpr u32 kKept = 32;
    u32 l1_;
    u32 used_ = 0;
    u32 returned_[kKept] = {};
    u32 kept_ = 0;
    RamAllocator* ram_ = nullptr;
    u32 next_l1_ = 0, end_l1_ = 0;
};

class RamAllocator {
public:
    // Uses `ram` (a RAM capability of `bytes`) from its start, naturally aligned.
    RamAllocator(u32 ram, u64 bytes, SlotAllocator& slots) : ram_(ram), bytes_(bytes), slots_(slots) {}
    // Retypes one object of `type` (a CapType number) and 2^size_log2 bytes;
    // returns its capability's address.
    Result<u32> make(u32 type, u32 size_log2);
    // The same into a given empty slot.
    Status make_into(u32 type, u32 size_log2, u32 slot);
    SlotAllocator& slots() { return slots_; }

private:
    u32 ram_;
    u64 bytes_, used_ = 0;
    u64 base_ = 0;
    bool base_known_ = false;
    SlotAllocator& slots_;
};

class AddressSpace {
public:
    AddressSpace(u32 vspace, RamAllocator& ram) : vspace_(vspace), ram_(ram) {}

    // Maps an existing 4 KiB Frame at `va` (flags: abi::kMapWrite or abi::kMapExecute).
    Status map_frame(u64 va, u32 frame, u64 flags);
    // Removes the mapping at `va` (the Frame capability stays).
    Status unmap_page(u64 va);
    RamAllocator& ram() { return ram_; }
    // Makes a fresh zeroed page and maps it at `va` (write, never execute);
    // returns the Frame capability's address.
    Result<u32> map_new_page(u64 va);
    // Makes an object from the RAM (see RamAllocator::make).
    Result<u32> make(u32 type, u32 size_log2) { return ram_.make(type, size_log2); }
    u64 pages_made() const { return pages_made_; }
    u32 vspace() const { return vspace_; }

private:
    // The page-table capability that covers `va` at `level` (3 = Pdpt, 2 = Pd,
    // 1 = Pt), installing one (and those above it) if missing.
    Result<u32> table_for(u64 va, int level);

    u32 vspace_;
    RamAllocator& ram_;
    u64 pages_made_ = 0;
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
