// The shared-state experiment at the CPU-driver level (docs/benchmarks.md,
// suite "scale", experiment "shared-update"). For each record size (1, 4
// and 8 cache lines) core 0 runs, on all cores at once:
//
//   lock:    every core, core 0 included, updates the record in one shared
//            page under the spin lock beside it (lib/bench/shared_update.hpp).
//            That page is allocated for the experiment from core 0's share
//            and is the one piece of shared writable kernel memory here
//            besides URPC frames (docs/architecture.md lists it).
//   message: core 0 owns the record in its private memory; every other core
//            sends each update to it over a channel of its own and waits for
//            the answer. On a one-core machine core 0 is its own client,
//            through a channel whose two ends are both on core 0.
//
// Every core times each of its updates with the TSC, interrupts off; core 0
// prints the median of the cores' medians and the largest of their p99s.
#include "bench_shared.hpp"

#include <new>

#include "base/format.hpp"
#include "bench/shared_update.hpp"
#include "bsp.hpp"
#include "console.hpp"
#include "core.hpp"
#include "paging.hpp"
#include "tsc.hpp"
#include "x86.hpp"

namespace mk {
namespace {

using bench::RecordLine;
using bench::SharedRegion;
using bench::Summary;
using bench::UpdatePlan;

enum Method : u32 { kLock = 0, kMessage = 1 };

constexpr u32 kMaxSamples = 8192;
constexpr u32 kRecordSizes[] = {1, 4, 8};
// One run may take this long on one core before it gives up; core 0 waits a
// little longer for the others' answers. Generous: with more vCPUs than host
// cores a lock holder can lose its host CPU for whole scheduler slices.
constexpr u64 kRunTimeoutUs = 200'000'000;
constexpr u64 kCollectTimeoutUs = kRunTimeoutUs + 20'000'000;

struct TscClock {
    u64 now() { return x86::rdtsc(); }
};

// Interrupts stay off while a core measures, on core 0 as on the others
// (whose CoreControl handlers run from the idle loop with interrupts off),
// so no core's samples include timer ticks.
u64 irq_save() {
    u64 flags;
    asm volatile("pushfq; pop %0; cli" : "=r"(flags)::"memory");
    return flags;
}
void irq_restore(u64 flags) {
    if (flags & 0x200) x86::sti();
}

// Sample buffers come from the running core's own share, for one run.
struct SampleBuffer {
    explicit SampleBuffer(u32 samples) : pages(align_up(u64{samples} * sizeof(u64), kPageSize) / kPageSize) {
        auto got = this_core().memory.alloc(pages);
        if (got.ok()) {
            phys = *got;
            data = static_cast<u64*>(paging::phys_to_virt(phys));
        }
    }
    ~SampleBuffer() {
        for (usize i = 0; data != nullptr && i < pages; ++i) (void)this_core().memory.free_page(phys + i * kPageSize);
    }
    SampleBuffer(const SampleBuffer&) = delete;
    SampleBuffer& operator=(const SampleBuffer&) = delete;

    usize pages;
    PhysAddr phys = 0;
    u64* data = nullptr;
};

u32 warmup_for(u32 samples) { return samples / 10 < 10 ? 10 : samples / 10; }

// Core 0's own state for the experiment; no other core reads it.
struct Bench {
    u32 cores = 0;
    u32 samples = 0;
    const char* mode = "mttcg";
    PhysAddr region_phys = 0;      // the lock method's shared page
    SharedRegion* region = nullptr;
    PhysAddr frame_phys[smp::kMaxCores] = {};  // message channels: [c] to core c; [0] the loopback
    urpc::Endpoint owner_end[smp::kMaxCores];  // core 0's ends of those channels
    RecordLine owner_record[bench::kMaxRecordLines];
};
Bench g_bench;  // core 0 only

bool is_kvm() {
    auto r = x86::cpuid(0x40000000);
    return r.ebx == 0x4b4d564b && r.ecx == 0x564b4d56 && r.edx == 0x4d;  // "KVMKVMKVM\0\0\0"
}

void metric_name(char* out, usize size, Method m, u32 lines) {
    LineBuffer b(out, size);
    b.append("%s_%uline%s", m == kLock ? "lock" : "message", lines, lines == 1 ? "" : "s");
}

u64 median_of(u64* v, u32 n) {
    bench::sort_u64(v, n);
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

bool started(u32 n) { return bsp_peers().link[n] != nullptr && bsp_peers().link[n]->ready; }

// Core 0's part of a message run: the owner of the record, or on a
// one-core machine also its only client.
Result<Summary> own_record(const UpdatePlan& plan, u64* samples, TscClock& clock) {
    Bench& b = g_bench;
    for (RecordLine& l : b.owner_record) l = RecordLine{};
    urpc::Endpoint* ends[smp::kMaxCores];
    if (b.cores == 1) {
        b.owner_end[0] = urpc::Endpoint::init(*static_cast<urpc::Frame*>(paging::phys_to_virt(b.frame_phys[0])),
                                              urpc::Side::A);
        ends[0] = &b.owner_end[0];
        bench::UpdateOwner owner(ends, 1, b.owner_record, plan.lines, plan.updates());
        urpc::Endpoint client = urpc::Endpoint::init(
            *static_cast<urpc::Frame*>(paging::phys_to_virt(b.frame_phys[0])), urpc::Side::B);
        Status owner_status;
        auto r = bench::run_message_updates(client, plan, 0, samples, clock, [&] {
            if (owner_status.ok()) owner_status = owner.poll();
        });
        if (!owner_status.ok()) return owner_status.error();
        return r;
    }
    for (u32 c = 1; c < b.cores; ++c) {
        b.owner_end[c] = urpc::Endpoint::init(*static_cast<urpc::Frame*>(paging::phys_to_virt(b.frame_phys[c])),
                                              urpc::Side::A);
        ends[c - 1] = &b.owner_end[c];
    }
    bench::UpdateOwner owner(ends, b.cores - 1, b.owner_record, plan.lines, plan.updates());
    TRY_STATUS(bench::run_owner(owner, clock, plan.timeout));
    return Summary{0, 0};  // the owner times nothing
}

// One run: every core, one method, one record size. Prints its rows.
bool run_one(Method method, u32 lines, u64* samples) {
    Bench& b = g_bench;
    BspPeers& peers = bsp_peers();
    const u32 n = b.cores;
    // Message: the clients are the other cores (or core 0 alone, looped back).
    const u32 clients = method == kLock || n == 1 ? n : n - 1;
    const UpdatePlan plan{lines, warmup_for(b.samples), b.samples, clients, tsc::us_to_cycles(kRunTimeoutUs)};
    char metric[32];
    metric_name(metric, sizeof metric, method, lines);

    if (method == kLock) {
        *b.region = SharedRegion{};
    } else {
        for (u32 c = 0; c < n; ++c) static_cast<urpc::Frame*>(paging::phys_to_virt(b.frame_phys[c]))->reset();
    }
    idl::CallId ids[smp::kMaxCores] = {};
    bootidl::CoreControl::BenchSharedResults results[smp::kMaxCores] = {};
    for (u32 c = 1; c < n; ++c) {
        CoreLink& l = *peers.link[c];
        PhysAddr where = method == kLock ? b.region_phys : b.frame_phys[c];
        auto id = l.control.bench_shared(method, lines, plan.warmup, plan.samples, plan.participants, where, &results[c]);
        if (!id.ok()) {
            console::log("bench-shared: %s: cannot ask core %u: %s", metric, c, error_name(id.error()));
            return false;
        }
        ids[c] = *id;
        wake_if_sleeping(l.ep, l.apic);
    }

    TscClock clock;
    const u64 flags = irq_save();
    Result<Summary> mine = method == kLock ? bench::run_lock_updates(*b.region, plan, 0, samples, clock)
                                           : own_record(plan, samples, clock);
    irq_restore(flags);
    bool ok = mine.ok();
    if (!ok) console::log("bench-shared: %s: core 0 failed: %s", metric, error_name(mine.error()));

    u64 medians[smp::kMaxCores], p99 = 0;
    u32 timed = 0;
    if (ok && (method == kLock || n == 1)) {
        medians[timed++] = mine->median;
        p99 = mine->p99;
    }
    for (u32 c = 1; c < n; ++c) {
        Status s = Error::Empty;
        bool done = wait_for_core(c, [&](CoreLink& l) {
            s = l.control.status(ids[c]);
            return s.error() != Error::Empty;
        }, kCollectTimeoutUs);
        if (!done || !s.ok()) {
            console::log("bench-shared: %s: core %u failed: %s", metric, c, done ? error_name(s.error()) : "no answer");
            ok = false;
            continue;
        }
        medians[timed++] = results[c].median_cycles;
        if (results[c].p99_cycles > p99) p99 = results[c].p99_cycles;
    }
    if (!ok) return false;

    // Every update must be in the record exactly once: the check that the
    // lock excluded and that the owner applied each message.
    const RecordLine* record = method == kLock ? b.region->record : b.owner_record;
    u64 sum = 0;
    for (u32 c = method == kLock || n == 1 ? 0 : 1; c < n; ++c) sum += bench::update_value_sum(c, plan.updates());
    if (!bench::record_holds(record, lines, u64{clients} * plan.updates(), sum)) {
        console::log("bench-shared: %s: FAILED: the record does not hold the %lu updates made", metric,
                     u64{clients} * plan.updates());
        return false;
    }
    const u64 median = median_of(medians, timed);
    const u64 total = u64{timed} * plan.samples;
    const char* dst = method == kLock ? "-" : "0";
    console::log("CSV shared-update,%s,%s,%u,-,%s,cycles,%lu,%lu,%lu", metric, b.mode, n, dst, median, p99, total);
    console::log("CSV shared-update,%s,%s,%u,-,%s,ns,%lu,%lu,%lu", metric, b.mode, n, dst,
                 tsc::cycles_to_ns(median) + 1, tsc::cycles_to_ns(p99) + 1, total);
    return true;
}

}  // namespace

bool run_shared_benchmark(u64 samples, bool icount) {
    Bench& b = g_bench;
    BspPeers& peers = bsp_peers();
    if (samples == 0 || samples > kMaxSamples) {
        console::log("bench-shared: samples must be 1..%u, not %lu", kMaxSamples, samples);
        return false;
    }
    b.cores = static_cast<u32>(peers.count);
    b.samples = static_cast<u32>(samples);
    b.mode = icount ? "icount" : is_kvm() ? "kvm" : "mttcg";
    for (u32 c = 1; c < b.cores; ++c) {
        if (!started(c)) {
            console::log("bench-shared: core %u is not running; the experiment needs every core", c);
            return false;
        }
    }
    Core& core = this_core();
    auto region = core.memory.alloc();
    if (!region.ok()) {
        console::log("bench-shared: no memory for the shared page");
        return false;
    }
    b.region_phys = *region;
    b.region = new (paging::phys_to_virt(*region)) SharedRegion{};
    for (u32 c = 0; c < b.cores; ++c) {
        auto frame = core.memory.alloc();
        if (!frame.ok()) {
            console::log("bench-shared: no memory for the channel to core %u", c);
            return false;
        }
        b.frame_phys[c] = *frame;
    }
    SampleBuffer buffer(b.samples);
    if (buffer.data == nullptr) {
        console::log("bench-shared: no memory for samples");
        return false;
    }
    console::log("bench-shared: %u cores, %u timed updates per core after %u untimed, record of 1, 4, 8 lines",
                 b.cores, b.samples, warmup_for(b.samples));
    constexpr Method kMethods[] = {kLock, kMessage};
    for (u32 lines : kRecordSizes) {
        for (Method m : kMethods) {
            if (!run_one(m, lines, buffer.data)) return false;
        }
    }
    // The pages stay allocated: nothing else on core 0 needs them, and a
    // core still spinning on them after a failure must not see them reused.
    console::log("BENCH shared done");
    return true;
}

Status serve_bench_shared(const bootidl::CoreControl::BenchSharedParams& p,
                          bootidl::CoreControl::BenchSharedResults& r) {
    if (p.method > kMessage || p.lines < 1 || p.lines > bench::kMaxRecordLines || p.samples < 1 ||
        p.samples > kMaxSamples || p.warmup > kMaxSamples || p.participants < 1 ||
        p.participants > smp::kMaxCores || p.region_phys == 0 || p.region_phys % kPageSize != 0 ||
        p.region_phys >= DIRECT_MAP_SIZE) {
        return Error::InvalidArgument;
    }
    SampleBuffer buffer(p.samples);
    if (buffer.data == nullptr) return Error::NoMemory;
    const UpdatePlan plan{p.lines, p.warmup, p.samples, p.participants, tsc::us_to_cycles(kRunTimeoutUs)};
    TscClock clock;
    const u32 self = this_core().number;
    void* where = paging::phys_to_virt(p.region_phys);
    urpc::Endpoint ep;
    if (p.method == kMessage) ep = urpc::Endpoint::init(*static_cast<urpc::Frame*>(where), urpc::Side::B);
    const u64 flags = irq_save();
    Result<Summary> s = p.method == kLock
                            ? bench::run_lock_updates(*static_cast<SharedRegion*>(where), plan, self, buffer.data, clock)
                            : bench::run_message_updates(ep, plan, self, buffer.data, clock);
    irq_restore(flags);
    if (!s.ok()) return s.error();
    r.median_cycles = s->median;
    r.p99_cycles = s->p99;
    return {};
}

}  // namespace mk
