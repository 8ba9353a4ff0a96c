// Loading and ending user domains; see domains.hpp.
#include "domains.hpp"

#include <new>

#include "abi/syscalls.hpp"
#include "base/string.hpp"
#include "boot/cmdline.hpp"
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

}  // namespace

u32 core_count() { return g_core_count; }
void set_core_count(u32 n) { g_core_count = n; }

Status start_domain_from_module(const boot::BootInfo& info, const char* name) {
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
    PhysAddr dpage = TRY(this_core().memory.alloc());
    auto* d = new (paging::phys_to_virt(dpage)) Dispatcher{};
    str_copy(d->name, name, sizeof d->name);
    d->id = (this_core().number << 16) | ++this_core().domains_started;  // core-local ids
    d->state = DispatcherState::Runnable;
    d->pml4 = pml4;
    d->frame = frame;
    d->shared().core = this_core().number;
    d->shared().cores = g_core_count;
    d->shared().domain_id = d->id;
    d->shared().tsc_hz = tsc::hz();
    init_user_context(d->context, image.entry, abi::kUserStackTop, this_core().number, g_core_count);
    this_core().scheduler.add(d);
    return {};
}

void start_core_domains(const boot::BootInfo& info) {
    auto start = [&](const char* name) {
        Status st = start_domain_from_module(info, name);
        if (!st.ok()) console::log("%s: cannot start: %s", name, error_name(st.error()));
    };
    boot::CommandLine cmdline(boot::skip_image_path(info.cmdline));
    start("monitor");
    if (cmdline.has("test")) {
        start("usertest");
        start("syscallfuzz");
    }
    // run=NAME starts that boot module on core 0 as well (benchmarks, tools).
    char run[32];
    if (this_core().number == 0 && cmdline.get("run", run, sizeof run).ok()) start(run);
}

void end_current_domain(int code, const TrapFrame* fault) {
    Scheduler& sched = this_core().scheduler;
    Dispatcher* d = sched.current();
    if (d == nullptr) return;
    if (fault != nullptr) {
        console::Hold hold;
        console::log("domain %s (id %x) killed: %s at rip=%016lx, error=0x%lx, cr2=%016lx", d->name, d->id,
                     exception_name(fault->vector), fault->rip, fault->error_code, x86::read_cr2());
        console::log("  rsp=%016lx rax=%016lx rdi=%016lx rsi=%016lx", fault->rsp, fault->rax, fault->rdi, fault->rsi);
    } else {
        console::log("domain %s (id %x) exited with code %d", d->name, d->id, code);
    }
    sched.retire_current(code);
}

}  // namespace mk
