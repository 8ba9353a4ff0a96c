// See paging.hpp.
#include "paging.hpp"

#include "x86.hpp"

extern "C" mk::u64 boot_pml4[];  // boot/entry.S, linked at its physical address

namespace mk::paging {
namespace {

constexpr u64 kPresent = 1ull << 0;
constexpr u64 kWritable = 1ull << 1;
constexpr u64 kWriteThrough = 1ull << 3;
constexpr u64 kCacheDisable = 1ull << 4;
constexpr u64 kLargePage = 1ull << 7;
constexpr u64 kNoExecute = 1ull << 63;
constexpr u64 kMmioStart = 0xC0000000;  // the PCI hole: local APIC, I/O APIC, HPET, ...

alignas(4096) u64 g_direct_pdpt[512];
alignas(4096) u64 g_direct_pd[4][512];

u64* boot_pml4_virt() { return boot_section_ptr(boot_pml4); }

}  // namespace

PhysAddr boot_pml4_phys() { return reinterpret_cast<u64>(boot_pml4); }

void build_direct_map() {
    bool nx = (x86::rdmsr(x86::kMsrEfer) & (1u << 11)) != 0;
    for (u64 i = 0; i < 4 * 512; ++i) {
        u64 phys = i << 21;
        u64 entry = phys | kPresent | kWritable | kLargePage | (nx ? kNoExecute : 0);
        if (phys >= kMmioStart) entry |= kCacheDisable | kWriteThrough;
        g_direct_pd[i / 512][i % 512] = entry;
    }
    for (u64 j = 0; j < 4; ++j) g_direct_pdpt[j] = kernel_virt_to_phys(g_direct_pd[j]) | kPresent | kWritable;
    boot_pml4_virt()[256] = kernel_virt_to_phys(g_direct_pdpt) | kPresent | kWritable;
    x86::write_cr3(x86::read_cr3());  // flush
}

Result<PhysAddr> switch_to_own_pml4(mem::FramePool& pool) {
    PhysAddr page = TRY(pool.alloc());
    auto* pml4 = static_cast<u64*>(phys_to_virt(page));
    const u64* boot = boot_pml4_virt();
    for (int i = 0; i < 256; ++i) pml4[i] = 0;
    for (int i = 256; i < 512; ++i) pml4[i] = boot[i];
    x86::write_cr3(page);
    return page;
}

}  // namespace mk::paging
