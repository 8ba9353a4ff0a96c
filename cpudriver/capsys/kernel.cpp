// The Kernel capability: a monitor's authority over its own core. It starts
// other cores (core 0's monitor only) and moves capabilities between cores:
// a monitor sending a RAM or Frame capability to another core marks its copy
// as having a remote copy, and the receiving monitor makes the matching
// capability from the description that travelled over the monitor channel.
// The CPU driver trusts a monitor's description (the monitors are the
// trusted computing base of the multikernel, as in Barrelfish); it still
// refuses anything malformed and anything inside this core's own memory.
#include "bsp.hpp"
#include "capsys/core_caps.hpp"
#include "capsys/reclaim.hpp"
#include "core.hpp"
#include "domains.hpp"
#include "lapic.hpp"
#include "mem/page_table.hpp"
#include "paging.hpp"
#include "traps.hpp"
#include "x86.hpp"

extern "C" const mk::u8 __bss_end_phys[];

namespace mk::capsys {
namespace {

bool overlaps(const mem::RangeSet& set, PhysAddr base, PhysAddr end) {
    for (usize i = 0; i < set.count(); ++i) {
        if (set[i].base < end && base < set[i].end) return true;
    }
    return false;
}

bool inside(const mem::RangeSet& set, PhysAddr base, PhysAddr end) {
    for (usize i = 0; i < set.count(); ++i) {
        if (set[i].base <= base && end <= set[i].end) return true;
    }
    return false;
}

// The upper half of the PML4 at `base` is this core's kernel half.
bool same_kernel_half(PhysAddr base) {
    const auto* theirs = static_cast<const u64*>(paging::phys_to_virt(base));
    const auto* ours = static_cast<const u64*>(paging::phys_to_virt(this_core().pml4));
    for (int i = 256; i < 512; ++i) {
        if (theirs[i] != ours[i]) return false;
    }
    return true;
}

InvokeResult start_core(CoreCaps& cc, const Invocation& inv) {
    u64 core = inv.a[0];
    caps::Cte* frame = nullptr;
    if (auto f = resolve_cap(cc, inv.caller, inv.a[1], caps::CapType::Frame); f.ok()) frame = *f;
    else return {f.error(), 0};
    const caps::Capability& c = frame->cap();
    if (c.bytes != kPageSize) return {Error::InvalidArgument, 0};
    if (!caps::has_rights(c.rights, caps::Rights::Read | caps::Rights::Write)) return {Error::NoRights, 0};
    if (core > 0xFFFFFFFF) return {Error::OutOfRange, 0};
    Status s = start_core_for_monitor(static_cast<u32>(core), c.base);
    if (!s.ok()) return {s.error(), 0};
    // The other core's monitor holds a copy of the frame now.
    (void)cc.table.set_remote(*frame, c.remote | caps::Remote::Copies);
    return {Error::Ok, 0};
}

InvokeResult cap_create(CoreCaps& cc, const Invocation& inv) {
    auto dest = empty_slot(cc, inv.caller, inv.a[0]);
    if (!dest.ok()) return {dest.error(), 0};
    u64 type = inv.a[1] & 0xFF, rights = (inv.a[1] >> 8) & 0xFF;
    bool moved = ((inv.a[1] >> 16) & 1) != 0;  // the only copy now: it moved here
    if ((inv.a[1] >> 17) != 0 || rights > u64(caps::Rights::All)) return {Error::InvalidArgument, 0};
    bool pml4 = type == u64(caps::CapType::Pml4);
    if (type != u64(caps::CapType::Ram) && type != u64(caps::CapType::Frame) && !pml4) return {Error::WrongType, 0};
    PhysAddr base = inv.a[2];
    u64 bytes = inv.a[3];
    if (bytes == 0 || !is_aligned(base, kPageSize) || !is_aligned(bytes, kPageSize) || base + bytes < base ||
        base + bytes > DIRECT_MAP_SIZE || base < 0x100000) {
        return {Error::OutOfRange, 0};
    }
    // A domain's top-level table that another core made, so a dispatcher of
    // that domain can run here (docs/shootdown.md): it becomes this core's
    // CR3 then, so its kernel half must be exactly this core's (every core's
    // PML4 shares the boot tables' upper half, paging.hpp). Moved, it makes
    // no sense: the other core's dispatcher still runs on it.
    if (pml4 && (bytes != kPageSize || moved)) return {Error::InvalidArgument, 0};
    if (pml4 && !same_kernel_half(base)) return {Error::InvalidArgument, 0};
    // Never the kernel image, never the part of this core's boot share that
    // its CPU driver kept (its own structures live there). What it gave its
    // monitor may come back (memory that moved to another core and returns).
    bool own_kernel_memory = overlaps(this_core().share, base, base + bytes) &&
                             !inside(this_core().granted, base, base + bytes);
    if (own_kernel_memory ||
        (base < reinterpret_cast<u64>(__bss_end_phys) && KERNEL_PHYS_BASE < base + bytes)) {
        return {Error::NoRights, 0};
    }
    caps::Capability cap = caps::Capability::memory(caps::CapType(type), base, bytes, caps::Rights(rights));
    cap.remote = moved ? caps::Remote::None : caps::Remote::Copies;
    Status s = cc.table.create_root(**dest, cap);
    return {s.ok() ? Error::Ok : s.error(), 0};
}

InvokeResult mark_remote(CoreCaps& cc, const Invocation& inv) {
    auto slot = resolve_cap(cc, inv.caller, inv.a[0], caps::CapType::Null);
    if (!slot.ok()) return {slot.error(), 0};
    caps::CapType t = (*slot)->cap().type;
    if (t != caps::CapType::Ram && t != caps::CapType::Frame && t != caps::CapType::Pml4) return {Error::WrongType, 0};
    Status s = cc.table.set_remote(**slot, (*slot)->cap().remote | caps::Remote::Copies);
    return {s.ok() ? Error::Ok : s.error(), 0};
}

}  // namespace

InvokeResult wake_core(const Invocation& inv) {
    u64 core = inv.a[0];
    if (core >= core_count()) return {Error::OutOfRange, 0};
    // The APIC ids were written by the BSP before any other core started and
    // are read-only since (docs/architecture.md).
    if (!lapic::send_fixed(bsp_peers().apic[core], kVectorWake)) return {Error::Timeout, 0};
    return {Error::Ok, 0};
}

InvokeResult remove_object(CoreCaps& cc, const Invocation& inv) {
    u64 type = inv.a[0];
    if (type != u64(caps::CapType::Ram) && type != u64(caps::CapType::Frame)) return {Error::WrongType, 0};
    caps::Capability like = caps::Capability::memory(caps::CapType(type), inv.a[1], inv.a[2], caps::Rights::All);
    if (!caps::well_formed(like)) return {Error::InvalidArgument, 0};
    KernelReclaimer reclaimer;
    u64 removed = cc.table.remove_object(like, &reclaimer);
    reclaimer.finish();
    cc.mappings.sweep();  // mappings of the object go with it
    return {Error::Ok, removed};
}

InvokeResult retype_agreed(CoreCaps& cc, const Invocation& inv) {
    auto src = resolve_cap(cc, inv.caller, inv.a[0], caps::CapType::Ram);
    if (!src.ok()) return {src.error(), 0};
    return retype(cc, inv.caller, **src, inv.a[1], 1, inv.a[2], inv.a[3], true);
}

InvokeResult range_in_use(CoreCaps& cc, const Invocation& inv) {
    PhysAddr base = inv.a[0];
    u64 bytes = inv.a[1];
    if (bytes == 0 || base + bytes < base) return {Error::InvalidArgument, 0};
    return {Error::Ok, cc.table.range_in_use(base, bytes) ? 1u : 0u};
}

InvokeResult count_in_range(CoreCaps& cc, const Invocation& inv) {
    PhysAddr base = inv.a[0];
    u64 bytes = inv.a[1];
    if (bytes == 0 || base + bytes < base) return {Error::InvalidArgument, 0};
    return {Error::Ok, cc.table.count_in_range(base, bytes)};
}

// This core's part of a TLB shootdown (docs/shootdown.md). The monitor that
// asks runs here, so no dispatcher of the domain does, and its own CR3 load
// already dropped that domain's entries (no PCIDs, no global user pages):
// the INVLPGs make the guarantee explicit rather than a side effect of how
// the scheduler switches, and stay right if a dispatcher of that domain and
// the caller ever share a CR3 (INVLPG acts on the linear address whatever
// address space loaded the entry, SDM 3A, 4.10.4.1, PCID 0).
namespace {
InvokeResult flush_tlb(const Invocation& inv) {
    u64 va = inv.a[0], pages = inv.a[1];
    if (!is_aligned(va, kPageSize) || pages == 0) return {Error::InvalidArgument, 0};
    if (va >= mem::kUserTop || pages > (mem::kUserTop - va) / kPageSize) return {Error::OutOfRange, 0};
    if (pages > abi::kFlushTlbPageLimit) {
        x86::write_cr3(x86::read_cr3());
    } else {
        for (u64 i = 0; i < pages; ++i) x86::invlpg(va + i * kPageSize);
    }
    return {Error::Ok, pages};
}
}  // namespace

InvokeResult invoke_kernel(CoreCaps& cc, const Invocation& inv) {
    switch (inv.method) {
        case abi::kKernelFlushTlb: return flush_tlb(inv);
        case abi::kKernelRetypeAgreed: return retype_agreed(cc, inv);
        case abi::kKernelRangeInUse: return range_in_use(cc, inv);
        case abi::kKernelCountInRange: return count_in_range(cc, inv);
        case abi::kKernelRemoveObject: return remove_object(cc, inv);
        case abi::kKernelWakeCore: return wake_core(inv);
        case abi::kKernelStartCore: return start_core(cc, inv);
        case abi::kKernelCapCreate: return cap_create(cc, inv);
        case abi::kKernelMarkRemote: return mark_remote(cc, inv);
        default: return {Error::UnknownMethod, 0};
    }
}

}  // namespace mk::capsys
