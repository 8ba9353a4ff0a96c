// Four-level page-table editing; see page_table.hpp.
#include "mem/page_table.hpp"

namespace mk::mem {
namespace {

u64 index_at(u64 va, int level) { return (va >> (12 + 9 * level)) & 0x1FF; }

Status check_user_address(u64 va) {
    if (!is_aligned(va, kPageSize)) return Error::InvalidArgument;
    if (va == 0 || va >= kUserTop) return Error::OutOfRange;
    return {};
}

}  // namespace

// Returns the level-1 (page table) entry for va, creating intermediate
// tables on the way when `create` is set.
Result<u64*> PageTable::walk(u64 va, bool create) const {
    auto* table = static_cast<u64*>(to_virtual_(pml4_));
    for (int level = 3; level > 0; --level) {
        u64& entry = table[index_at(va, level)];
        if ((entry & kPresent) == 0) {
            if (!create) return Error::NotFound;
            PhysAddr next = TRY(alloc_(alloc_ctx_));
            // Intermediate entries are permissive; the leaf decides the access.
            entry = next | kPresent | kWritable | kUser;
        } else if ((entry & (1ull << 7)) != 0) {
            return Error::Unsupported;  // a large page: not used in user halves
        }
        table = static_cast<u64*>(to_virtual_(entry & kAddressMask));
    }
    return &table[index_at(va, 0)];
}

Status PageTable::map(u64 va, PhysAddr pa, PageFlags flags) {
    TRY_STATUS(check_user_address(va));
    if (!is_aligned(pa, kPageSize)) return Error::InvalidArgument;
    if (flags.write && flags.exec) return Error::Unsupported;  // W^X
    // Check before creating anything: a refused mapping leaves no new tables behind.
    if (translate(va).ok()) return Error::Overlap;
    u64* pte = TRY(walk(va, true));
    *pte = pa | kPresent | (flags.write ? kWritable : 0) | (flags.user ? kUser : 0) | (flags.exec ? 0 : kNoExecute);
    return {};
}

Result<PhysAddr> PageTable::translate(u64 va, PageFlags* flags) const {
    TRY_STATUS(check_user_address(align_down(va, kPageSize)));
    u64* pte = TRY(walk(align_down(va, kPageSize), false));
    if ((*pte & kPresent) == 0) return Error::NotFound;
    if (flags != nullptr) {
        flags->write = (*pte & kWritable) != 0;
        flags->exec = (*pte & kNoExecute) == 0;
        flags->user = (*pte & kUser) != 0;
    }
    return (*pte & kAddressMask) | (va & (kPageSize - 1));
}

Result<PhysAddr> PageTable::unmap(u64 va) {
    TRY_STATUS(check_user_address(va));
    u64* pte = TRY(walk(va, false));
    if ((*pte & kPresent) == 0) return Error::NotFound;
    PhysAddr pa = *pte & kAddressMask;
    *pte = 0;
    return pa;
}

}  // namespace mk::mem
