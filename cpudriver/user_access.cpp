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

Status check_user_range(u64 user, usize len, bool write);

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

// Every page of [user, user + len) is mapped for the user (and writable if asked).
Status check_user_range(u64 user, usize len, bool write) {
    if (user >= mem::kUserTop || len > mem::kUserTop - user) return Error::OutOfRange;
    mem::PageTable pt(x86::read_cr3() & mem::PageTable::kAddressMask, paging::phys_to_virt, no_alloc, nullptr);
    for (u64 page = align_down(user, kPageSize); page < user + len; page += kPageSize) {
        mem::PageFlags flags;
        auto pa = pt.translate(page, &flags);
        if (!pa.ok()) return Error::InvalidArgument;
        if (!flags.user || (write && !flags.write)) return Error::NoRights;
    }
    return {};
}

Status copy_from_user(void* dst, u64 user_src, usize len) {
    if (len == 0) return {};
    TRY_STATUS(check_user_range(user_src, len, false));
    if (g_smap) asm volatile("stac" ::: "memory");
    __builtin_memcpy(dst, reinterpret_cast<const void*>(user_src), len);
    if (g_smap) asm volatile("clac" ::: "memory");
    return {};
}

Status copy_to_user(u64 user_dst, const void* src, usize len) {
    if (len == 0) return {};
    TRY_STATUS(check_user_range(user_dst, len, true));
    if (g_smap) asm volatile("stac" ::: "memory");
    __builtin_memcpy(reinterpret_cast<void*>(user_dst), src, len);
    if (g_smap) asm volatile("clac" ::: "memory");
    return {};
}

}  // namespace mk
