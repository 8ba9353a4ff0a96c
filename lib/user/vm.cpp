// See vm.hpp.
#include "user/vm.hpp"

#include "abi/syscalls.hpp"
#include "user/caps.hpp"
#include "user/console.hpp"

namespace mk::user {

Result<u32> SlotAllocator::next() {
    if (kept_ > 0) return returned_[--kept_];
    u32 limit = ram_ != nullptr ? kSlots - 1 : kSlots;
    if (used_ < limit) return abi::cap_address(l1_, used_++);
    if (ram_ == nullptr || next_l1_ >= end_l1_) return Error::Full;
    // A fresh CNode, made into our spare last slot, then moved into the root.
    u32 spare = abi::cap_address(l1_, kSlots - 1);
    TRY_STATUS(ram_->make_into(u32(CapType::CNode), 14, spare));
    Error e = copy(spare, abi::l1_slot(next_l1_));
    if (e == Error::Ok) e = remove(spare);
    if (e != Error::Ok) return e;
    l1_ = next_l1_++;
    used_ = 0;
    return abi::cap_address(l1_, used_++);
}

Result<u32> RamAllocator::make(u32 type, u32 size_log2) {
    u32 slot = TRY(slots_.next());
    TRY_STATUS(make_into(type, size_log2, slot));
    return slot;
}

Status RamAllocator::make_into(u32 type, u32 size_log2, u32 slot) {
    u64 bytes = u64{1} << size_log2;
    if (!base_known_) {  // objects are aligned to their size in physical memory, not just in the RAM
        abi::CapIdentity id{};
        Error e = identify(ram_, id);
        if (e != Error::Ok) return e;
        base_ = id.base;
        base_known_ = true;
    }
    u64 offset = align_up(base_ + used_, bytes) - base_;
    if (offset + bytes > bytes_) return Error::NoMemory;
    Error e = retype(ram_, static_cast<CapType>(type), size_log2, 1, offset, slot);
    if (e != Error::Ok) return e;
    used_ = offset + bytes;
    return {};
}

Result<u32> AddressSpace::table_for(u64 va, int level) {
    // level 3: the Pdpt reached from Pml4 entry; 2: the Pd; 1: the Pt.
    u32 parent = vspace_;
    for (int l = 3; l >= level; --l) {
        u64 span = u64{1} << (12 + 9 * l);  // what one table at this level covers
        u64 base = va & ~(span - 1);
        u32 found = 0;
        for (usize i = 0; i < table_count_; ++i) {
            if (tables_[i].level == l && tables_[i].base == base) found = tables_[i].cap;
        }
        if (found == 0) {
            if (table_count_ == sizeof tables_ / sizeof tables_[0]) return Error::Full;
            u32 type = static_cast<u32>(l == 3 ? CapType::Pdpt : l == 2 ? CapType::Pd : CapType::Pt);
            found = TRY(ram_.make(type, 12));
            u64 index = (va >> (12 + 9 * l)) & 0x1FF;  // its entry in the parent table
            Error e = map(parent, index, found);
            if (e != Error::Ok) return e;
            tables_[table_count_++] = {l, base, found};
        }
        parent = found;
    }
    return parent;
}

Status AddressSpace::map_frame(u64 va, u32 frame, u64 flags) {
    u32 pt = TRY(table_for(va, 1));
    Error e = map(pt, (va >> 12) & 0x1FF, frame, flags);
    if (e != Error::Ok) return e;
    return {};
}

Status AddressSpace::unmap_page(u64 va) {
    u32 pt = TRY(table_for(va, 1));
    Error e = unmap(pt, (va >> 12) & 0x1FF);
    if (e != Error::Ok) return e;
    return {};
}

Result<u32> AddressSpace::map_new_page(u64 va) {
    u32 frame = TRY(ram_.make(static_cast<u32>(CapType::Frame), 12));
    TRY_STATUS(map_frame(va, frame, abi::kMapWrite));
    ++pages_made_;
    return frame;
}

namespace {

AddressSpace* g_space;
u64 g_lazy_base, g_lazy_end;
alignas(16) u8 g_fault_stack[16384];

abi::DispatcherFrame& frame() { return *reinterpret_cast<abi::DispatcherFrame*>(abi::kDispatcherFrameAddress); }

extern "C" [[noreturn]] void lazy_fault_handler(u64 vector, u64 address, u64) {
    if (vector == 14 && address >= g_lazy_base && address < g_lazy_end) {
        auto s = g_space->map_new_page(address & ~u64{0xFFF});
        if (s.ok()) syscall(abi::kSysResume);
        printf("vm: cannot back %lx: %s", address, error_name(s.error()));
    }
    // Not ours to fix: end the domain with the fault as its status.
    exit(static_cast<int>(0x100 + vector));
}

}  // namespace

void serve_lazily(AddressSpace& space, u64 base, u64 bytes) {
    g_space = &space;
    g_lazy_base = base;
    g_lazy_end = base + bytes;
    frame().fault_stack_top = reinterpret_cast<u64>(g_fault_stack + sizeof g_fault_stack);
    frame().fault_handler = reinterpret_cast<u64>(&lazy_fault_handler);
}

}  // namespace mk::user
