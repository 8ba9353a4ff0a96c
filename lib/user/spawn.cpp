// See spawn.hpp.
#include "user/spawn.hpp"

#include "abi/syscalls.hpp"
#include "base/string.hpp"
#include "elf/elf64.hpp"
#include "mem/page_table.hpp"
#include "user/caps.hpp"

namespace mk::user {
namespace {

abi::DispatcherFrame& frame() { return *reinterpret_cast<abi::DispatcherFrame*>(abi::kDispatcherFrameAddress); }

}  // namespace

// Capability invocations report an Error; return it unless it is Ok.
#define TRY_STATUS_ERROR(expr)                        \
    do {                                              \
        Error _mk_error = (expr);                     \
        if (_mk_error != Error::Ok) return _mk_error; \
    } while (0)

void Spawner::release_modules() {
    for (usize i = 0; i < mapped_count_; ++i) {
        u64 pages = align_up(mapped_[i].bytes, kPageSize) / kPageSize;
        for (u64 p = 0; p < pages; ++p) {
            // The mapping holds a copy of the Frame too: unmap, then delete ours.
            (void)self_.unmap_page(mapped_[i].va + p * kPageSize);
            (void)remove(mapped_[i].pages[p]);
        }
    }
    mapped_count_ = 0;
}

Result<Spawner::Module*> Spawner::map_module(const char* name) {
    for (usize i = 0; i < mapped_count_; ++i) {
        if (str_eq(mapped_[i].name, name)) return &mapped_[i];
    }
    abi::DispatcherFrame& df = frame();
    for (u64 i = 0; i < df.module_count && i < 16; ++i) {
        if (!str_eq(df.modules[i].name, name)) continue;
        if (mapped_count_ == sizeof mapped_ / sizeof mapped_[0]) return Error::Full;
        u64 pages = align_up(df.modules[i].bytes, kPageSize) / kPageSize;
        if (pages > kMaxModulePages) return Error::TooLong;
        Module& m = mapped_[mapped_count_];
        // Cut the module's read-only Frame into pages, then map them read-only here.
        u32 module_cap = abi::cap_address(abi::kModuleCNode, static_cast<u32>(i));
        u64 va = module_va_ + next_module_va_;
        for (u64 p = 0; p < pages; ++p) {
            u32 slot = TRY(self_.ram().slots().next());
            Error e = retype(module_cap, CapType::Frame, 12, 1, p * kPageSize, slot);
            if (e != Error::Ok) return e;
            m.pages[p] = slot;
            TRY_STATUS(self_.map_frame(va + p * kPageSize, slot, 0));
        }
        next_module_va_ += pages * kPageSize + kPageSize;
        m.name = df.modules[i].name;
        m.bytes = df.modules[i].bytes;
        m.va = va;
        return &mapped_[mapped_count_++];
    }
    return Error::NotFound;
}

Status Spawner::fill(u32 frame_cap, const u8* bytes, u64 len, u64 offset) {
    TRY_STATUS(self_.map_frame(scratch_va_, frame_cap, abi::kMapWrite));
    __builtin_memcpy(reinterpret_cast<u8*>(scratch_va_) + offset, bytes, len);
    return self_.unmap_page(scratch_va_);
}

Status Spawner::place(u32 cnode, u32 index, u32 cap) {
    TRY_STATUS_ERROR(copy(cnode, abi::l1_slot(l1_b_)));
    Error e = copy(cap, abi::cap_address(l1_b_, index));
    TRY_STATUS_ERROR(remove(abi::l1_slot(l1_b_)));
    return e == Error::Ok ? Status{} : Status{e};
}

Result<u32> Spawner::spawn(RamAllocator& ram, const char* name, u64 arg, u64 parent) {
    Child c = TRY(start(ram, name, arg, parent, Options{}));
    return c.dispatcher;
}

Result<Spawner::Child> Spawner::start(RamAllocator& ram, const char* name, u64 arg, u64 parent, const Options& options) {
    const Module& m = *TRY(map_module(name));
    elf::Image image;
    TRY_STATUS(elf::parse(Bytes(reinterpret_cast<const u8*>(m.va), m.bytes), mem::kUserTop, image));

    // The new domain's objects.
    u32 pml4 = TRY(ram.make(u32(CapType::Pml4), 12));
    u32 root = TRY(ram.make(u32(CapType::CNode), 12));   // 64 slots
    u32 task = TRY(ram.make(u32(CapType::CNode), 14));   // 256 slots
    u32 dframe = TRY(ram.make(u32(CapType::Frame), 12));
    u32 disp = TRY(ram.make(u32(CapType::Dispatcher), 10));
    AddressSpace child(pml4, ram);

    // Its capability space: root slot 0 is the task CNode; fill the task
    // CNode through a slot of our own root CNode.
    TRY_STATUS_ERROR(copy(root, abi::l1_slot(l1_a_)));
    TRY_STATUS_ERROR(copy(task, abi::cap_address(l1_a_, abi::kTaskCNode)));
    TRY_STATUS_ERROR(copy(task, abi::l1_slot(l1_b_)));
    TRY_STATUS_ERROR(copy(root, abi::cap_address(l1_b_, abi::kTaskRootCNode)));
    TRY_STATUS_ERROR(copy(disp, abi::cap_address(l1_b_, abi::kTaskDispatcher)));
    TRY_STATUS_ERROR(copy(pml4, abi::cap_address(l1_b_, abi::kTaskVSpace)));
    TRY_STATUS_ERROR(copy(dframe, abi::cap_address(l1_b_, abi::kTaskFrame)));
    if (parent != abi::kNoCap) TRY_STATUS_ERROR(copy(static_cast<u32>(parent), abi::cap_address(l1_b_, abi::kTaskParent)));
    if (options.monitor_link != abi::kNoCap) {
        TRY_STATUS_ERROR(copy(static_cast<u32>(options.monitor_link), abi::cap_address(l1_b_, abi::kTaskMonitorLink)));
    }
    TRY_STATUS_ERROR(remove(abi::l1_slot(l1_b_)));

    // The rest of a full environment: more L2 CNodes in the root, filled
    // through l1_b_ (the child's root stays in l1_a_ meanwhile).
    abi::DispatcherFrame start{};
    if (options.ram_cap != abi::kNoCap) {
        u32 cnode = TRY(ram.make(u32(CapType::CNode), 14));
        TRY_STATUS_ERROR(copy(cnode, abi::cap_address(l1_a_, abi::kRamCNode)));
        TRY_STATUS(place(cnode, 0, static_cast<u32>(options.ram_cap)));
    } else if (options.ram_bytes != 0) {
        u64 log2 = 63 - static_cast<u64>(__builtin_clzll(options.ram_bytes));
        if ((u64{1} << log2) != options.ram_bytes || log2 < 12) return Error::InvalidArgument;
        u32 cnode = TRY(ram.make(u32(CapType::CNode), 14));
        u32 grant = TRY(ram.make(u32(CapType::Ram), static_cast<u32>(log2)));
        TRY_STATUS_ERROR(copy(cnode, abi::cap_address(l1_a_, abi::kRamCNode)));
        TRY_STATUS(place(cnode, 0, grant));
        TRY_STATUS_ERROR(remove(grant));  // the child holds the only capability to it
    }
    if (options.slot_cnodes) {
        for (u32 index : {abi::kSlotCNode, abi::kSlotCNode2}) {
            u32 cnode = TRY(ram.make(u32(CapType::CNode), 14));
            TRY_STATUS_ERROR(copy(cnode, abi::cap_address(l1_a_, index)));
        }
    }
    if (options.modules) {
        u32 cnode = TRY(ram.make(u32(CapType::CNode), 14));
        TRY_STATUS_ERROR(copy(cnode, abi::cap_address(l1_a_, abi::kModuleCNode)));
        const abi::DispatcherFrame& mine = frame();
        for (u32 i = 0; i < mine.module_count && i < 16; ++i) {
            TRY_STATUS(place(cnode, i, abi::cap_address(abi::kModuleCNode, i)));
            start.modules[i] = mine.modules[i];
        }
        start.module_count = mine.module_count;
    }
    if (options.named) str_copy(start.start_name, name, sizeof start.start_name);
    TRY_STATUS_ERROR(remove(abi::l1_slot(l1_a_)));

    // Its address space: each segment page in a fresh Frame, with the segment's rights.
    const u8* file = reinterpret_cast<const u8*>(m.va);
    for (usize s = 0; s < image.segment_count; ++s) {
        const elf::Segment& seg = image.segments[s];
        u64 flags = seg.write ? abi::kMapWrite : seg.exec ? abi::kMapExecute : 0;
        for (u64 va = align_down(seg.vaddr, kPageSize); va < seg.vaddr + seg.memsz; va += kPageSize) {
            u32 f = TRY(ram.make(u32(CapType::Frame), 12));
            u64 lo = va > seg.vaddr ? va : seg.vaddr;
            u64 hi = va + kPageSize < seg.vaddr + seg.filesz ? va + kPageSize : seg.vaddr + seg.filesz;
            if (hi > lo) TRY_STATUS(fill(f, file + seg.file_offset + (lo - seg.vaddr), hi - lo, lo - va));
            TRY_STATUS(child.map_frame(va, f, flags));
        }
    }
    for (u64 p = 1; p <= options.stack_pages; ++p) TRY(child.map_new_page(abi::kUserStackTop - p * kPageSize));
    TRY_STATUS(child.map_frame(abi::kDispatcherFrameAddress, dframe, abi::kMapWrite));
    start.start_sp = abi::kUserStackTop;
    start.start_arg = arg;
    TRY_STATUS(fill(dframe, reinterpret_cast<const u8*>(&start), sizeof start, 0));

    if (options.release_modules) release_modules();  // `m` is not used from here on
    SyscallResult r = invoke(disp, abi::kDispatcherSetup, root, pml4, dframe, image.entry);
    if (r.error != Error::Ok) return r.error;
    return Child{disp, root};
}

}  // namespace mk::user
