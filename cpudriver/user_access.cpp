// See user_access.hpp.
#include "user_access.hpp"

#include "core.hpp"
#include "mem/page_table.hpp"
#include "paging.hpp"
#include "x86.hpp"

namespace mk {
namespace {

// Written by the BSP before any other core starts; read-only afterwards
// (every core has the same CPU features).
bool g_smap = false;

Result<PhysAddr> no_alloc(void*) { return Error::NoMemory; }

}  // namespace

void enable_user_protection(bool& smep, bool& smap) {
    auto leaf7 = x86::cpuid(7);
    smep = (leaf7.ebx & (1u << 7)) != 0;
    smap = (leaf7.ebx & (1u << 20)) != 0;
    u64 cr4 = x86::read_cr4();
    if (smep) cr4 |= 1ull << 20;
    if (smap) cr4 |= 1ull << 21;
    asm volatile("mov %0, %%cr4" ::"r"(cr4) : "memory");
    if (core_number() == 0) g_smap = smap;
}

Status copy_from_user(void* dst, u64 user_src, usize len) {
    if (len == 0) return {};
    if (user_src >= mem::kUserTop || len > mem::kUserTop - user_src) return Error::OutOfRange;
    mem::PageTable pt(x86::read_cr3() & mem::PageTable::kAddressMask, paging::phys_to_virt, no_alloc, nullptr);
    for (u64 page = align_down(user_src, kPageSize); page < user_src + len; page += kPageSize) {
        mem::PageFlags flags;
        auto pa = pt.translate(page, &flags);
        if (!pa.ok()) return Error::InvalidArgument;
        if (!flags.user) return Error::NoRights;
    }
    if (g_smap) asm volatile("stac" ::: "memory");
    __builtin_memcpy(dst, reinterpret_cast<const void*>(user_src), len);
    if (g_smap) asm volatile("clac" ::: "memory");
    return {};
}

}  // namespace mk
