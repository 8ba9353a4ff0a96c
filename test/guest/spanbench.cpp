// The unmap-with-shootdown benchmark (`run=spanbench`, the scale suite's
// `shootdown` experiment, docs/shootdown.md): the counterpart of Linux's
// munmap of a page that a thread on every CPU touched (linbench's
// munmap_shootdown). This domain spans every core; each sample maps a page,
// lets a dispatcher on every other core read it (so each core's TLB holds
// it), then times the unmap here (kVNodeUnmap) and the shootdown
// (Local.shootdown, which returns after every other core flushed). The
// spans wait for the next page spinning in user mode, their address space
// live on their cores, as Linux's threads do. Rows:
//   unmap_shootdown  the unmap and the shootdown together (one core: the unmap)
//   unmap            the unmap alone
#include "base/atomic.hpp"
#include "base/sort.hpp"
#include "span.hpp"
#include "user/console.hpp"

using namespace mk;
using namespace mk::user;
using namespace mk::guest_span;

namespace {

constexpr int kWarmup = 20;
constexpr int kSamples = 300;
constexpr u32 kRam = abi::cap_address(abi::kRamCNode, 0);
constexpr u32 kVSpace = abi::cap_address(abi::kTaskCNode, abi::kTaskVSpace);
constexpr u64 kPage = 0x52000000000, kLinkVa = 0x60000000000;

SlotAllocator g_slots(abi::kSlotCNode2);
RamAllocator g_ram(kRam, 1u << 20, g_slots);
AddressSpace g_space(kVSpace, g_ram);

u64 g_total[kSamples], g_unmap[kSamples];
alignas(64) volatile u64 g_generation = 0;
alignas(64) u64 g_touched = 0;  // spans that read the current generation's page
alignas(64) volatile u64 g_stop = 0;

extern "C" [[noreturn]] void bench_fault(u64 vector, u64 address, u64) {
    SpanState& s = g_span[this_core()];
    s.fault_vector = vector;
    s.fault_address = address;
    s.faulted = 1;
    exit(3);  // the page was not there: the measurement is broken
}

extern "C" [[noreturn]] void span_toucher(u64 core) {
    SpanState& s = span_begin(core, &bench_fault);
    u64 seen = 0;
    for (;;) {
        u64 g;
        while ((g = g_generation) == seen) {
            if (g_stop != 0) exit(0);
            asm volatile("pause");
        }
        seen = g;
        (void)*reinterpret_cast<const volatile u64*>(kPage);
        s.generation = g;
        __atomic_fetch_add(&g_touched, u64{1}, __ATOMIC_ACQ_REL);
    }
}

void report(const char* metric, u64* samples, u32 cores) {
    sort_in_place(samples, kSamples);
    u64 hz = home_frame().tsc_hz;
    bool icount = hz == 1000000000;
    u64 median = samples[kSamples / 2], p99 = samples[kSamples * 99 / 100];
    const char* mode = icount ? "icount" : "mttcg";
    printf("CSV shootdown,%s,%s,%u,0,-,cycles,%lu,%lu,%d", metric, mode, cores, median, p99, kSamples);
    printf("CSV shootdown,%s,%s,%u,0,-,%s,%lu,%lu,%d", metric, mode, cores, icount ? "insns" : "ns",
           median * 1000000000 / hz, p99 * 1000000000 / hz, kSamples);
}

}  // namespace

extern "C" int domain_main(u32 core, u32 cores) {
    auto link = MonitorLink::open(g_space, kLinkVa);
    if (!link.ok()) {
        printf("BENCH shootdown failed: no channel to the monitor");
        return 1;
    }
    auto& monitor = (*link)->client();
    auto page = g_space.map_new_page(kPage);
    if (!page.ok()) {
        printf("BENCH shootdown failed: no page: %s", error_name(page.error()));
        return 1;
    }
    u32 spans = span_everywhere(monitor, **link, g_space, g_slots, core, cores, &span_toucher);
    u32 wanted = (cores < kMaxCores ? cores : kMaxCores) - 1;
    if (spans != wanted) {
        printf("BENCH shootdown failed: %u of %u spans started", spans, wanted);
        return 1;
    }
    idl::monitor::Local::ShootdownResults sd{};
    for (int i = -kWarmup; i < kSamples; ++i) {
        if (i != -kWarmup) {
            Status m = g_space.map_frame(kPage, *page, abi::kMapWrite);
            if (!m.ok()) {
                printf("BENCH shootdown failed: map: %s", error_name(m.error()));
                return 1;
            }
        }
        *reinterpret_cast<volatile u64*>(kPage) = static_cast<u64>(i);
        store_release(&g_touched, u64{0});
        g_generation = g_generation + 1;
        u64 until = rdtsc() + 10 * home_frame().tsc_hz;
        while (load_acquire(&g_touched) != spans) {
            if (rdtsc() > until) {
                printf("BENCH shootdown failed: the spans did not touch the page within 10 s");
                return 1;
            }
            asm volatile("pause");
        }
        u64 t0 = rdtsc();
        Status s = g_space.unmap_page(kPage);
        u64 t1 = rdtsc();
        if (s.ok() && spans != 0) {
            auto id = monitor.shootdown(kPage, 1, &sd);
            s = id.ok() ? (*link)->wait(*id) : Status(id.error());
        }
        u64 t2 = rdtsc();
        if (!s.ok() || (spans != 0 && sd.cores != spans)) {
            printf("BENCH shootdown failed: unmap or shootdown: %s (%u cores acknowledged)", error_name(s.error()),
                   sd.cores);
            return 1;
        }
        if (i >= 0) {
            g_total[i] = t2 - t0;
            g_unmap[i] = t1 - t0;
        }
    }
    g_stop = 1;
    for (u32 c = 0; c < cores && c < kMaxCores; ++c) {
        if (c != core && g_span[c].faulted != 0) {
            printf("BENCH shootdown failed: the span on core %u faulted at %lx", c, g_span[c].fault_address);
            return 1;
        }
    }
    report("unmap_shootdown", g_total, cores);
    report("unmap", g_unmap, cores);
    printf("BENCH shootdown done");
    return 0;
}
