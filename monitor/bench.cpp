// The agreement benchmark (kernel command-line word bench-agree[=N]; the
// `agree` experiment of `./os bench scale`). Core 0's monitor measures:
//   round      one empty agreed operation at a time from core 0: the latency
//              of a whole round (prepare, votes, commit, acks) over the mesh;
//   pipelined  every monitor runs its own operations at once: throughput;
//   alloc      the local fast path of memory allocation (a 4 KiB piece of a
//              chunk, made and dropped): no message at all;
//   alloc_all  every monitor allocates at once: aggregate ops/s of the
//              local fast path;
//   move       moving one chunk from another core's pool: an agreed round
//              plus the capability work at both ends;
//   move_all   every monitor pulls chunks from the others at once: aggregate
//              moves/s of rebalancing under contention.
// The topology (flat or tree) is the kernel's `agree=` word, so the driver
// boots once per topology. Rows: CSV agree,<metric>_<topology>,mttcg,...
#include "agree/engine.hpp"
#include "agree/router.hpp"
#include "base/sort.hpp"
#include "boot/cmdline.hpp"
#include "monitor.hpp"
#include "user/syscall.hpp"

namespace mk::monitor {
namespace {

using namespace mk::user;

constexpr u32 kMaxSamples = 4096;
u64 g_samples[kMaxSamples];

// Empty operations: each coordinator locks only its own slot of the bench
// space, so they never conflict; every core votes yes and applies nothing.
class Null final : public agree::Application {
public:
    bool well_formed(const agree::Op& op) const override { return op.family == agree::kFamilyBench && op.word < kMaxCores; }
    usize claims(const agree::Op& op, agree::Claim (&out)[agree::kMaxClaims]) const override {
        out[0] = {agree::kSpaceBench, op.word, u64{op.word} + 1};
        return 1;
    }
    agree::Vote prepare(const agree::Op&) override { return agree::Vote::Yes; }
    void commit(const agree::Op&, u16) override { ++applied; }
    void finished(const agree::Op&, agree::Outcome) override { done = true; }
    u64 applied = 0;
    bool done = false;
};
Null g_null;

u64 ns(u64 cycles) { return cycles * 1000000000ull / frame().tsc_hz; }

const char* topology_name() {
    boot::CommandLine cmdline(frame().cmdline);
    char shape[8] = {};
    (void)cmdline.get("agree", shape, sizeof shape);
    return shape[0] == 't' ? "tree" : "flat";
}

void print_row(const char* metric, const char* src, const char* unit, u64 median, u64 p99, u32 samples) {
    printf("CSV agree,%s_%s,mttcg,%u,%s,-,%s,%lu,%lu,%u", metric, topology_name(), g_self.cores, src, unit, median, p99,
           samples);
}

void report(const char* metric, u32 samples) {
    sort_in_place(g_samples, samples);
    u64 median = g_samples[samples / 2], p99 = g_samples[(samples * 99) / 100];
    print_row(metric, "0", "cycles", median, p99, samples);
    print_row(metric, "0", "ns", ns(median), ns(p99), samples);
}

}  // namespace

void register_bench_family(agree::Router& router) { router.route(agree::kFamilyBench, g_null); }

// Runs `count` empty operations from this core, one after another.
Result<u64> run_null_ops(u32 count, bool record) {
    u64 start = rdtsc();
    for (u32 i = 0; i < count; ++i) {
        agree::Op op;
        op.family = agree::kFamilyBench;
        op.word = g_self.core;
        g_null.done = false;
        u64 t0 = rdtsc(), until = deadline();
        TRY_STATUS(start_agreement(op));
        while (!g_null.done) {
            if (rdtsc() > until) return Error::Timeout;
            serve_all();
            if (!g_null.done) idle_wait();
        }
        if (record && i < kMaxSamples) g_samples[i] = rdtsc() - t0;
    }
    return rdtsc() - start;
}

namespace {

// What Monitor.benchAgree runs on every monitor at once.
constexpr u8 kNullOps = 0, kLocalAllocs = 1, kChunkMoves = 2;
constexpr u32 kMovesEach = 8;  // per core: enough to contend, few enough to leave every pool some chunks

Status alloc_and_drop() {
    auto a = TRY(alloc_ram(12));
    if (a.temporary) (void)remove(a.cap);
    return {};
}

// `count` operations of kind `what` on this monitor, one after another.
Result<u64> run_ops(u8 what, u32 count, u32& done) {
    done = 0;
    if (what == kNullOps) {
        u64 cycles = TRY(run_null_ops(count, false));
        done = count;
        return cycles;
    }
    u64 start = rdtsc();
    for (u32 i = 0; i < count; ++i) {
        Status s = what == kLocalAllocs ? alloc_and_drop() : move_one_chunk_here();
        if (!s.ok()) break;  // a dry pool ends the run early: `done` says how far it got
        ++done;
    }
    return rdtsc() - start;
}

// Every monitor runs `count` operations of kind `what` at once; the row is
// their total per second of the slowest monitor's time.
void print_all_at_once(const char* metric, u8 what, u32 count) {
    idl::CallId ids[kMaxCores] = {};
    midl::Monitor::BenchAgreeResults results[kMaxCores] = {};
    bool asked[kMaxCores] = {};
    for (u32 n = 1; n < g_self.cores; ++n) {
        if (g_control[n] == nullptr) continue;
        auto id = g_control[n]->client.bench_agree(count, what, &results[n]);
        asked[n] = id.ok();
        if (id.ok()) ids[n] = *id;
    }
    u32 ops = 0;
    auto mine = run_ops(what, count, ops);
    u64 slowest = mine.value_or(0);
    for (u32 n = 1; n < g_self.cores; ++n) {
        if (!asked[n] || !wait_control(n, ids[n]).ok()) continue;
        ops += results[n].done;
        if (results[n].cycles > slowest) slowest = results[n].cycles;
    }
    u64 per_s = slowest == 0 ? 0 : ops * frame().tsc_hz / slowest;
    print_row(metric, "-", "ops_per_s", per_s, per_s, ops);
}

}  // namespace

void run_agreement_benchmark(u32 samples) {
    if (samples > kMaxSamples) samples = kMaxSamples;
    printf("BENCH agree: %u samples per measurement, %s topology, %u cores", samples, topology_name(), g_self.cores);
    // Warm up, then one operation at a time from core 0.
    if (!run_null_ops(samples / 10 + 1, false).ok() || !run_null_ops(samples, true).ok()) {
        printf("BENCH agree failed: round timed out");
        return;
    }
    report("round", samples);
    print_all_at_once("pipelined", kNullOps, samples);
    // The local fast path of allocation: no messages.
    u32 made = 0;
    for (u32 i = 0; i < samples; ++i) {
        u64 t0 = rdtsc();
        if (!alloc_and_drop().ok()) break;
        g_samples[made++] = rdtsc() - t0;
    }
    if (made > 0) report("alloc", made);
    print_all_at_once("alloc_all", kLocalAllocs, samples);
    // Moving a chunk here from another core: one agreed round and the capability work.
    if (g_self.cores > 1) {
        u32 moved = 0;
        for (u32 i = 0; i < samples / 10 + 1; ++i) {
            u64 t0 = rdtsc();
            if (!move_one_chunk_here().ok()) break;
            g_samples[moved++] = rdtsc() - t0;
        }
        if (moved > 0) report("move", moved);
        // Every core pulls chunks at once: rebalancing under contention.
        print_all_at_once("move_all", kChunkMoves, kMovesEach);
    }
    printf("BENCH agree done");
}

Status bench_agree_here(u32 count, u8 what, u64& cycles, u32& done) {
    if (what > kChunkMoves) return Error::InvalidArgument;
    cycles = TRY(run_ops(what, count, done));
    return {};
}

}  // namespace mk::monitor
