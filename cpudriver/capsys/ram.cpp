// RAM capabilities (and Frames, which may be cut into smaller Frames):
// kRamRetype makes typed objects from untyped memory. The capability table
// checks the range and the derivation tree; this file then prepares each new
// object made from RAM: zeroed (never leak a previous owner's data), and a new
// top-level page table gets the kernel half so it can become a CR3. A Frame
// cut into smaller Frames keeps its contents.
#include "capsys/core_caps.hpp"
#include "core.hpp"
#include "dispatcher.hpp"
#include "paging.hpp"

namespace mk::capsys {
namespace {

void prepare_object(caps::CapType type, PhysAddr base, u64 size) {
    if (type == caps::CapType::Ram) return;  // untyped memory is prepared when retyped again
    __builtin_memset(paging::phys_to_virt(base), 0, size);
    if (type == caps::CapType::Pml4) {
        auto* pml4 = static_cast<u64*>(paging::phys_to_virt(base));
        const auto* kernel = static_cast<const u64*>(paging::phys_to_virt(this_core().pml4));
        for (int i = 256; i < 512; ++i) pml4[i] = kernel[i];
    }
}

}  // namespace

InvokeResult retype(CoreCaps& cc, Dispatcher& caller, caps::Cte& src, u64 type_and_size, u64 count, u64 offset,
                    u64 dest, bool agreed) {
    u64 type_bits = type_and_size & 0xFF, size_log2 = (type_and_size >> 8) & 0xFF;
    if (type_bits >= caps::kCapTypeCount || size_log2 >= 48 || (type_and_size >> 16) != 0) {
        return {Error::InvalidArgument, 0};
    }
    if (count == 0 || count > 256) return {Error::InvalidArgument, 0};
    auto range = slot_range(cc, caller, dest);
    if (!range.ok()) return {range.error(), 0};
    caps::RetypeArgs args;
    args.offset = offset;
    args.type = static_cast<caps::CapType>(type_bits);
    args.object_size = u64{1} << size_log2;
    args.count = count;
    args.first_slot = range->first;
    args.remote_agreed = agreed;
    PhysAddr base = src.cap().base + args.offset;
    Status s = cc.table.retype(src, args, *range->cnode);
    if (!s.ok()) return {s.error(), 0};
    // Objects made from RAM are fresh and get prepared; a Frame cut into
    // smaller Frames keeps its contents (it may be read-only: a boot module).
    if (src.cap().type == caps::CapType::Ram) {
        for (u64 i = 0; i < args.count; ++i) prepare_object(args.type, base + i * args.object_size, args.object_size);
    }
    return {Error::Ok, args.count};
}

InvokeResult invoke_ram(CoreCaps& cc, const Invocation& inv) {
    if (inv.method != abi::kRamRetype) return {Error::UnknownMethod, 0};
    return retype(cc, inv.caller, inv.cap, inv.a[0], inv.a[1], inv.a[2], inv.a[3], false);
}

}  // namespace mk::capsys
