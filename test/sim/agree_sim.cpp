// agree-sim: runs the agreement engine on simulated cores over a network
// that reorders across channels, delays and duplicates messages, with a
// random workload of conflicting operations from every core, checking the
// invariants after every step (docs/agreement.md, "Simulation").
//
//   agree-sim [--seeds N] [--first S] [--cores LO-HI] [--ops K]   many seeds
//   agree-sim --seed S [--verbose]                                one seed, replayed
//
// Exit status 0 if every seed passed, 1 if any failed (each failure is
// printed with the command that replays it), 2 on bad usage.
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "world.hpp"

namespace {

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: agree-sim [--seeds N] [--first S] [--cores LO-HI] [--ops K] [--seed S] [--verbose]\n");
    std::exit(2);
}

unsigned long long number(const char* s) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s, &end, 0);
    if (end == s || *end != '\0') usage();
    return v;
}

}  // namespace

int main(int argc, char** argv) {
    unsigned long long first = 0, seeds = 1000;
    unsigned lo = 2, hi = 16, ops = 4;
    bool verbose = false, single = false;
    for (int i = 1; i < argc; ++i) {
        const char* a = argv[i];
        const bool more = i + 1 < argc;
        if (!std::strcmp(a, "--seeds") && more) seeds = number(argv[++i]);
        else if (!std::strcmp(a, "--first") && more) first = number(argv[++i]);
        else if (!std::strcmp(a, "--seed") && more) first = number(argv[++i]), seeds = 1, single = true;
        else if (!std::strcmp(a, "--ops") && more) ops = unsigned(number(argv[++i]));
        else if (!std::strcmp(a, "--verbose")) verbose = true;
        else if (!std::strcmp(a, "--cores") && more) {
            if (std::sscanf(argv[++i], "%u-%u", &lo, &hi) != 2) usage();
        } else usage();
    }
    if (lo < 2 || hi > 16 || lo > hi) usage();

    const auto t0 = std::chrono::steady_clock::now();
    unsigned long long failed = 0, messages = 0, committed = 0, refused = 0, retries = 0, dups = 0;
    unsigned long long made = 0, removed = 0, lasts = 0;
    for (unsigned long long s = first; s < first + seeds; ++s) {
        sim::Config cfg = sim::config_for(s, lo, hi);
        cfg.ops_per_core = ops;
        cfg.verbose = verbose;
        sim::World w(cfg);
        const std::string err = w.run();
        messages += w.delivered;
        committed += w.committed;
        refused += w.refused;
        retries += w.retries;
        dups += w.duplicates;
        made += w.caps_made;
        removed += w.caps_removed;
        lasts += w.last_deletes;
        if (verbose || single)
            std::printf("seed %llu: %u cores, %s(%u), %llu steps, %llu messages, %llu committed, %llu refused, "
                        "%llu retries\n",
                        s, cfg.cores, mk::agree::shape_name(cfg.topo.shape()), cfg.topo.param(),
                        (unsigned long long)w.now, (unsigned long long)w.delivered,
                        (unsigned long long)w.committed, (unsigned long long)w.refused,
                        (unsigned long long)w.retries);
        if (!err.empty()) {
            ++failed;
            std::printf("FAIL seed %llu (%u cores, %s(%u)): %s\n  rerun: %s --seed %llu --verbose\n", s, cfg.cores,
                        mk::agree::shape_name(cfg.topo.shape()), cfg.topo.param(), err.c_str(), argv[0], s);
            if (failed >= 10) {
                std::printf("stopping after 10 failures\n");
                break;
            }
        }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("agree-sim: seeds %llu..%llu, cores %u-%u: %llu failed; %llu messages (%llu duplicated), "
                "%llu committed, %llu refused, %llu retries; capabilities: %llu made, %llu removed, "
                "%llu last copies deleted; %.1f s\n",
                first, first + seeds - 1, lo, hi, failed, messages, dups, committed, refused, retries, made, removed,
                lasts, secs);
    return failed == 0 ? 0 : 1;
}
