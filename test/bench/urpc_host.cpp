// urpc-host: the URPC channel library measured on the host's real cores,
// against the baselines of docs/benchmarks (raw cache-line ping-pong, pipe,
// eventfd, futex, mutex+condvar), all in one run, and the generated IDL
// stubs (Boot.ping) over the same channel. Prints CSV rows
// suite,metric,mode,cores,src,dst,unit,median,p99,samples; progress goes to
// stderr. Time is read with RDTSC, calibrated against CLOCK_MONOTONIC.
//
//   urpc-host [--samples N] [--out FILE.csv] [--quick] [--cpus SRC,DST]
#include <cstdlib>
#include <functional>

#include "stream.hpp"
#include "stub.hpp"

namespace {

using namespace bench;

struct Options {
    u64 samples = 20000;  // latency samples per mechanism
    u64 batch = 8192;     // messages per throughput sample
    u64 batches = 100;    // throughput samples per mechanism
    const char* out = nullptr;
    bool quick = false;
    int src = 0;
    int dst = 1;
};

[[noreturn]] void usage(const char* why, int status = 2) {
    std::fprintf(stderr,
                 "urpc-host: %s\n"
                 "usage: urpc-host [--samples N] [--out FILE.csv] [--quick] [--cpus SRC,DST]\n"
                 "  --samples N    one-way latency samples per mechanism (default 20000)\n"
                 "  --out FILE     also write the CSV rows to FILE\n"
                 "  --quick        small sizes, for a smoke test\n"
                 "  --cpus S,D     the CPUs of the sending and the receiving thread (default 0,1)\n",
                 why);
    std::exit(status);
}

u64 parse_count(const char* s) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s, &end, 10);
    if (end == s || *end != '\0' || v == 0) usage("expected a positive number");
    return v;
}

Options parse(int argc, char** argv) {
    Options o;
    bool samples_given = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> const char* {
            if (i + 1 >= argc) usage(("missing value after " + a).c_str());
            return argv[++i];
        };
        if (a == "--samples") {
            o.samples = parse_count(next());
            samples_given = true;
        } else if (a == "--out") {
            o.out = next();
        } else if (a == "--quick") {
            o.quick = true;
        } else if (a == "--cpus") {
            if (std::sscanf(next(), "%d,%d", &o.src, &o.dst) != 2 || o.src < 0 || o.dst < 0 ||
                o.src == o.dst)
                usage("--cpus wants two different CPU numbers, e.g. 0,1");
        } else if (a == "--help" || a == "-h") {
            usage("measures URPC latency and throughput against host baselines", 0);
        } else {
            usage(("unknown option " + a).c_str());
        }
    }
    if (o.quick) {
        if (!samples_given) o.samples = 400;
        o.batch = 512;
        o.batches = 10;
    }
    return o;
}

// Checks once, before any measurement, whether both CPUs accept our threads,
// so that every row reports the same src/dst.
bool pin_both(const Options& o) {
    bool ok = pin_to_cpu(o.src);
    std::thread probe([&] { ok = pin_to_cpu(o.dst) && ok; });
    probe.join();
    if (!ok) {
        std::fprintf(stderr, "urpc-host: warning: threads are NOT pinned; rows say src,dst = -\n");
    }
    return ok;
}

// Generous: a minute, plus 100 us per message. Only a peer that is stuck
// inside the kernel (a blocking read) ever gets this far; spinning waits give
// up sooner, through their SpinBudget.
unsigned watchdog_seconds(u64 messages) { return static_cast<unsigned>(60 + messages / 10000); }

struct LatencyCase {
    const char* suite;
    std::function<std::vector<double>(const Ctx&, u64, u64)> run;
    std::vector<double> ticks;
};

struct StreamCase {
    const char* suite;
    std::function<std::vector<double>(const Ctx&, u64, u64)> run;
};

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    const bool pinned = pin_both(o);
    Ctx ctx;
    ctx.src = o.src;
    ctx.dst = o.dst;
    ctx.pin = pinned;
    ctx.tsc_hz = calibrate_tsc_hz(o.quick ? 0.05 : 0.25);
    std::fprintf(stderr, "urpc-host: clock: RDTSC at %.4f GHz (calibrated against CLOCK_MONOTONIC)\n",
                 ctx.tsc_hz / 1e9);
    std::fprintf(stderr, "urpc-host: CPUs %d -> %d%s\n", o.src, o.dst, pinned ? "" : " (unpinned)");

    Csv csv(o.src, o.dst, pinned);
    std::printf("%s\n", Csv::header());

    // Latency. raw, urpc and stub alternate sample by sample (measure_interleaved3);
    // the kernel-based mechanisms take turns with them in rounds, so that a
    // burst of load on this shared machine spreads over all of them.
    std::vector<LatencyCase> lat = {
        {"raw", nullptr, {}},
        {"urpc", nullptr, {}},
        {"stub", nullptr, {}},
        {"pipe", measure_pingpong<PipePingPong>, {}},
        {"eventfd", measure_pingpong<EventfdPingPong>, {}},
        {"futex", measure_pingpong<FutexPingPong>, {}},
        {"condvar", measure_pingpong<CondvarPingPong>, {}},
    };
    const u64 rounds = o.quick ? 2 : 20;
    const u64 per_round = (o.samples + rounds - 1) / rounds;
    const u64 warmup = std::max<u64>(per_round / 5, 100);
    for (u64 r = 0; r < rounds; ++r) {
        std::fprintf(stderr, "urpc-host: latency round %llu/%llu (%llu samples per mechanism)\n",
                     static_cast<unsigned long long>(r + 1), static_cast<unsigned long long>(rounds),
                     static_cast<unsigned long long>(per_round));
        arm_watchdog("raw, urpc and stub", watchdog_seconds(3 * (warmup + per_round)));
        measure_interleaved3<RawPingPong, UrpcPingPong, StubPingPong>(ctx, warmup, per_round, lat[0].ticks,
                                                                     lat[1].ticks, lat[2].ticks);
        for (LatencyCase& c : lat) {
            if (c.run == nullptr) continue;
            arm_watchdog(c.suite, watchdog_seconds(warmup + per_round));
            std::vector<double> v = c.run(ctx, warmup, per_round);
            c.ticks.insert(c.ticks.end(), v.begin(), v.end());
        }
    }
    alarm(0);
    const double ns_per_tick = 1e9 / ctx.tsc_hz;
    for (const LatencyCase& c : lat) csv.row(c.suite, "oneway_latency", "ns", summarize(c.ticks, ns_per_tick));

    const std::vector<StreamCase> streams = {
        {"urpc", measure_stream<UrpcStream>},
        {"raw", measure_stream<RawStream>},
        {"pipe", measure_stream<PipeStream>},
        {"condvar", measure_stream<CondvarStream>},
    };
    for (const StreamCase& c : streams) {
        std::fprintf(stderr, "urpc-host: throughput: %s (%llu x %llu messages)\n", c.suite,
                     static_cast<unsigned long long>(o.batches), static_cast<unsigned long long>(o.batch));
        arm_watchdog(c.suite, watchdog_seconds(4096 + o.batch * (o.batches + 1)));
        const std::vector<double> per_tick = c.run(ctx, o.batch, o.batches);
        csv.row(c.suite, "throughput", "msgs_per_s", summarize(per_tick, ctx.tsc_hz, true));
    }
    alarm(0);

    if (o.out != nullptr && !csv.write_file(o.out)) die("cannot write ", o.out);
    return 0;
}
