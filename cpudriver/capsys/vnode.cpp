// Page-table capabilities: a domain builds its own address space by
// installing tables into tables and Frames into its page tables (the
// exokernel way: the CPU driver only checks that each step is allowed).
// Only the lower (user) half of a Pml4 can be written; a Frame's rights bound
// the mapping's (read needed; write and execute only if held, never both).
#include "capsys/core_caps.hpp"
#include "core.hpp"
#include "dispatcher.hpp"
#include "mem/page_table.hpp"
#include "paging.hpp"

namespace mk::capsys {
namespace {

using caps::CapType;

CapType child_type(CapType table) {
    switch (table) {
        case CapType::Pml4: return CapType::Pdpt;
        case CapType::Pdpt: return CapType::Pd;
        case CapType::Pd: return CapType::Pt;
        case CapType::Pt: return CapType::Frame;
        default: return CapType::Null;
    }
}

u64* entries(const caps::Capability& table) { return static_cast<u64*>(paging::phys_to_virt(table.base)); }

InvokeResult map(CoreCaps& cc, const Invocation& inv) {
    const caps::Capability& table = inv.cap.cap();
    u64 index = inv.a[0], flags = inv.a[2];
    if (index >= 512 || (table.type == CapType::Pml4 && index >= 256)) return {Error::OutOfRange, 0};
    if ((flags & ~(abi::kMapWrite | abi::kMapExecute)) != 0) return {Error::InvalidArgument, 0};
    if ((flags & abi::kMapWrite) != 0 && (flags & abi::kMapExecute) != 0) return {Error::Unsupported, 0};
    auto found = resolve_cap(cc, inv.caller, inv.a[1], child_type(table.type));
    if (!found.ok()) return {found.error(), 0};
    caps::Cte* child = *found;
    const caps::Capability& c = child->cap();
    if (c.type == CapType::Frame) {
        if (c.bytes != kPageSize) return {Error::Unsupported, 0};  // 4 KiB pages only, for now
        if (!caps::has_rights(c.rights, caps::Rights::Read)) return {Error::NoRights, 0};
        if ((flags & abi::kMapWrite) != 0 && !caps::has_rights(c.rights, caps::Rights::Write)) return {Error::NoRights, 0};
        if ((flags & abi::kMapExecute) != 0 && !caps::has_rights(c.rights, caps::Rights::Execute)) {
            return {Error::NoRights, 0};
        }
    } else if (flags != 0) {
        return {Error::InvalidArgument, 0};
    }
    u64& entry = entries(table)[index];
    if ((entry & mem::PageTable::kPresent) != 0) return {Error::SlotOccupied, 0};
    if (!cc.mappings.has_room()) return {Error::Full, 0};
    // Checked: now perform. The record's copy keeps the object alive while mapped.
    Status s = cc.mappings.add(cc.table, *child, table.base, static_cast<u32>(index));
    if (!s.ok()) return {s.error(), 0};
    u64 bits = mem::PageTable::kPresent | mem::PageTable::kUser;
    if (c.type != CapType::Frame || (flags & abi::kMapWrite) != 0) bits |= mem::PageTable::kWritable;
    if (c.type == CapType::Frame && (flags & abi::kMapExecute) == 0) bits |= mem::PageTable::kNoExecute;
    entry = c.base | bits;
    return {Error::Ok, 0};
}

InvokeResult unmap(CoreCaps& cc, const Invocation& inv) {
    u64 index = inv.a[0];
    if (index >= 512) return {Error::OutOfRange, 0};
    MappingRecord* r = cc.mappings.find(inv.cap.cap().base, static_cast<u32>(index));
    if (r == nullptr) return {Error::NotFound, 0};
    cc.mappings.remove(cc.table, *r);
    return {Error::Ok, 0};
}

}  // namespace

InvokeResult invoke_vnode(CoreCaps& cc, const Invocation& inv) {
    switch (inv.method) {
        case abi::kVNodeMap: return map(cc, inv);
        case abi::kVNodeUnmap: return unmap(cc, inv);
        default: return {Error::UnknownMethod, 0};
    }
}

}  // namespace mk::capsys
