// Loading and ending user domains; see domains.hpp.
#include "domains.hpp"

#include <new>

#include "abi/syscalls.hpp"
#include "base/string.hpp"
#include "boot/cmdline.hpp"
#include "capsys/core_caps.hpp"
#include "console.hpp"
#include "core.hpp"
#include "dispatcher.hpp"
#include "elf/elf64.hpp"
#include "mem/page_table.hpp"
#include "paging.hpp"
#include "tsc.hpp"
#include "x86.hpp"

namespace mk {
namespace {

// Written by the BSP before any other core starts; read-only afterwards.
u32 g_core_count = 1;

Result<PhysAddr> alloc_zeroed(void*) {
    PhysAddr page = TRY(this_core().memory.alloc());
    __builtin_memset(paging::phys_to_virt(page), 0, kPageSize);
    return page;
}

Result<PhysAddr> new_address_space() {
    PhysAddr pml4 = TRY(alloc_zeroed(nullptr));
    auto* mine = static_cast<u64*>(paging::phys_to_virt(pml4));
    auto* kernel = static_cast<const u64*>(paging::phys_to_virt(this_core().pml4));
    for (int i = 256; i < 512; ++i) mine[i] = kernel[i];  // the kernel half, supervisor-only
    return pml4;
}

Status load_segment(mem::PageTable& pt, const boot::Module& m, const elf::Segment& s) {
    const u8* file = static_cast<const u8*>(paging::phys_to_virt(m.start));
    for (u64 va = align_down(s.vaddr, kPageSize); va < s.vaddr + s.memsz; va += kPageSize) {
        PhysAddr page = TRY(alloc_zeroed(nullptr));
        u8* dst = static_cast<u8*>(paging::phys_to_virt(page));
        // Copy the part of [va, va + 4 KiB) that comes from the file.
        u64 lo = va > s.vaddr ? va : s.vaddr;
        u64 hi = va + kPageSize < s.vaddr + s.filesz ? va + kPageSize : s.vaddr + s.filesz;
        if (hi > lo) __builtin_memcpy(dst + (lo - va), file + s.file_offset + (lo - s.vaddr), hi - lo);
        TRY_STATUS(pt.map(va, page, {.write = s.write, .exec = s.exec, .user = true}));
    }
    return {};
}

using caps::Capability;
using caps::CapType;

// Kernel memory a core keeps for itself when it hands the rest of its share
// to its monitor as RAM capabilities.
constexpr u64 kKernelReserve = 2 << 20;

Result<PhysAddr> alloc_zeroed_run(usize pages) {
    PhysAddr base = TRY(this_core().memory.alloc(pages));
    __builtin_memset(paging::phys_to_virt(base), 0, pages * kPageSize);
    return base;
}

// Grants `ram` to a domain as RAM capabilities in its kRamCNode, from slot `first`.
Status grant_ram(Dispatcher& d, const mem::RangeSet& ram, u32 first) {
    capsys::CoreCaps& cc = *this_core().caps;
    caps::Cte* l1 = cc.table.slots_of(d.cspace().cap());
    caps::Cte* slots = cc.table.slots_of(l1[abi::kRamCNode].cap());
    for (usize i = 0; i < ram.count(); ++i) {
        if (first + i >= caps::kL2Slots) return Error::Full;
        TRY_STATUS(cc.table.create_root(slots[first + i], Capability::ram(ram[i].base, ram[i].size())));
    }
    return {};
}

// The capability space of a domain started at boot (lib/abi/caps.hpp has the
// layout): a root CNode of 64 slots, four L2 CNodes of 256, and the
// well-known capabilities. These objects were allocated by the kernel at boot,
// so their capabilities are roots of the derivation tree.
Status build_cspace(Dispatcher& d, PhysAddr dispatcher_page, bool monitor, const boot::BootInfo& info,
                    PhysAddr monitor_channel) {
    capsys::CoreCaps& cc = *this_core().caps;
    PhysAddr root = TRY(alloc_zeroed_run(1));
    TRY_STATUS(cc.table.create_root(d.cspace(), Capability::cnode(root, 64)));
    caps::Cte* l1 = cc.table.slots_of(d.cspace().cap());
    const u32 l2_cnodes[] = {abi::kTaskCNode, abi::kRamCNode, abi::kSlotCNode, abi::kSlotCNode2, abi::kModuleCNode,
                             abi::kIrqCNode};
    for (u32 index : l2_cnodes) {
        if (index == abi::kIrqCNode && !(monitor && this_core().number == 0)) continue;
        PhysAddr l2 = TRY(alloc_zeroed_run(caps::kL2Slots * caps::kCteBytes / kPageSize));
        TRY_STATUS(cc.table.create_root(l1[index], Capability::cnode(l2, caps::kL2Slots)));
    }
    caps::Cte* task = cc.table.slots_of(l1[abi::kTaskCNode].cap());
    TRY_STATUS(cc.table.copy(d.cspace(), task[abi::kTaskRootCNode]));
    TRY_STATUS(cc.table.create_root(task[abi::kTaskDispatcher],
                                    Capability::memory(CapType::Dispatcher, dispatcher_page, caps::kDispatcherBytes,
                                                       caps::Rights::All)));
    TRY_STATUS(cc.table.create_root(task[abi::kTaskVSpace],
                                    Capability::memory(CapType::Pml4, d.pml4, kPageSize, caps::Rights::All)));
    TRY_STATUS(cc.table.copy(task[abi::kTaskVSpace], d.vspace()));
    TRY_STATUS(cc.table.create_root(task[abi::kTaskFrame],
                                    Capability::frame(d.frame, kPageSize, caps::Rights::Read | caps::Rights::Write)));
    // The boot modules, read-only: a domain can load programs from them.
    caps::Cte* modules = cc.table.slots_of(l1[abi::kModuleCNode].cap());
    abi::DispatcherFrame& df = d.shared();
    for (usize i = 0; i < info.module_count && df.module_count < 16; ++i) {
        const boot::Module& m = info.modules[i];
        if (!is_aligned(m.start, kPageSize) || m.end <= m.start) continue;
        u64 bytes = align_up(m.end - m.start, kPageSize);
        TRY_STATUS(cc.table.create_root(modules[df.module_count], Capability::frame(m.start, bytes, caps::Rights::Read)));
        // The name: the first word of the module's command line, without
        // directories and extension (as boot::module_is matches it).
        const char* n = m.name;
        for (const char* p = m.name; *p != '\0' && *p != ' '; ++p) {
            if (*p == '/') n = p + 1;
        }
        usize len = 0;
        while (n[len] != '\0' && n[len] != ' ' && n[len] != '.' && len + 1 < sizeof df.modules[0].name) ++len;
        __builtin_memcpy(df.modules[df.module_count].name, n, len);
        df.modules[df.module_count].name[len] = '\0';
        df.modules[df.module_count].bytes = m.end - m.start;
        ++df.module_count;
    }
    str_copy(df.cmdline, boot::skip_image_path(info.cmdline), sizeof df.cmdline);
    if (monitor) {
        TRY_STATUS(cc.table.create_root(task[abi::kTaskKernel], Capability::kernel()));
        TRY_STATUS(cc.table.create_root(task[abi::kTaskIo], Capability::io(0, caps::kIoPortCount)));
        if (this_core().number == 0) {  // the ISA lines: the I/O APIC is core 0's to program
            caps::Cte* irqs = cc.table.slots_of(l1[abi::kIrqCNode].cap());
            for (u32 line = 0; line < 16; ++line) TRY_STATUS(cc.table.create_root(irqs[line], Capability::irq_line(line)));
        }
        if (monitor_channel != 0) {
            // The frame came from core 0's monitor, which holds the other
            // copy: this one is marked as having a copy on another core.
            Capability link = Capability::frame(monitor_channel, kPageSize, caps::Rights::Read | caps::Rights::Write);
            link.remote = caps::Remote::Copies;
            TRY_STATUS(cc.table.create_root(task[abi::kTaskMonitorLink], link));
        }
    }
    return {};
}

}  // namespace

Status grant_remaining_ram(Dispatcher& monitor) {
    mem::RangeSet rest = this_core().memory.take_all_but(kKernelReserve);
    this_core().granted = rest;  // Kernel.capCreate may hand this memory back here later
    return grant_ram(monitor, rest, 0);
}

u32 core_count() { return g_core_count; }
void set_core_count(u32 n) { g_core_count = n; }

Status start_domain_from_module(const boot::BootInfo& info, const char* name, Dispatcher** started,
                                PhysAddr monitor_channel) {
    const boot::Module* m = boot::find_module(info, name);
    if (m == nullptr) return Error::NotFound;
    elf::Image image;
    TRY_STATUS(elf::parse(Bytes(static_cast<const u8*>(paging::phys_to_virt(m->start)), m->end - m->start),
                          mem::kUserTop, image));
    PhysAddr pml4 = TRY(new_address_space());
    mem::PageTable pt(pml4, paging::phys_to_virt, alloc_zeroed, nullptr);
    for (usize i = 0; i < image.segment_count; ++i) TRY_STATUS(load_segment(pt, *m, image.segments[i]));
    for (u64 p = 1; p <= abi::kUserStackPages; ++p) {
        PhysAddr page = TRY(alloc_zeroed(nullptr));
        TRY_STATUS(pt.map(abi::kUserStackTop - p * kPageSize, page, {.write = true, .exec = false, .user = true}));
    }
    PhysAddr frame = TRY(alloc_zeroed(nullptr));
    TRY_STATUS(pt.map(abi::kDispatcherFrameAddress, frame, {.write = true, .exec = false, .user = true}));
    PhysAddr dpage = TRY(alloc_zeroed(nullptr));
    auto* d = new (paging::phys_to_virt(dpage)) Dispatcher{};
    str_copy(d->name, name, sizeof d->name);
    d->id = (this_core().number << 16) | ++this_core().domains_started;  // core-local ids
    d->state = DispatcherState::Runnable;
    d->pml4 = pml4;
    d->frame = frame;
    d->receive_slot = abi::kNoCap;
    d->shared().core = this_core().number;
    d->shared().cores = g_core_count;
    d->shared().domain_id = d->id;
    d->shared().tsc_hz = tsc::hz();
    init_user_context(d->context, image.entry, abi::kUserStackTop, this_core().number, g_core_count);
    TRY_STATUS(build_cspace(*d, dpage, str_eq(name, "monitor"), info, monitor_channel));
    this_core().scheduler.add(d);
    if (started != nullptr) *started = d;
    return {};
}

// The CPU driver starts only the monitor; the monitor starts everything
// else (the programs the command line names, later the services) with the
// user-level ELF loader, from the RAM it was given.
void start_core_domains(const boot::BootInfo& info, PhysAddr monitor_channel) {
    Dispatcher* monitor = nullptr;
    Status st = start_domain_from_module(info, "monitor", &monitor, monitor_channel);
    if (!st.ok()) {
        console::log("monitor: cannot start: %s", error_name(st.error()));
        return;
    }
    // What is left of this core's memory belongs to its monitor.
    st = grant_remaining_ram(*monitor);
    if (!st.ok()) console::log("monitor: RAM grant incomplete: %s", error_name(st.error()));
}

void end_current_domain(int code, const TrapFrame* fault, const char* how) {
    Scheduler& sched = this_core().scheduler;
    Dispatcher* d = sched.current();
    if (d == nullptr) return;
    if (fault != nullptr) {
        console::Hold hold;
        console::log("domain %s (id %x) killed: %s%s at rip=%016lx, error=0x%lx, cr2=%016lx", d->name, d->id,
                     exception_name(fault->vector), how, fault->rip, fault->error_code, x86::read_cr2());
        console::log("  rsp=%016lx rax=%016lx rdi=%016lx rsi=%016lx", fault->rsp, fault->rax, fault->rdi, fault->rsi);
    } else {
        console::log("domain %s (id %x) exited with code %d", d->name, d->id, code);
    }
    // A caller waiting for this dispatcher's reply gets an error instead of waiting forever.
    if (d->reply_to != nullptr && d->reply_to->state == DispatcherState::Blocked) {
        d->reply_to->context.rax = static_cast<u64>(Error::Revoked);
        sched.wake(d->reply_to);
        d->reply_to = nullptr;
    }
    sched.retire_current(code);
}

}  // namespace mk
