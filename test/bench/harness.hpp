// The measuring kit shared by the host benchmarks: the TSC as a clock
// (calibrated against CLOCK_MONOTONIC), pinning threads to CPUs, bounded
// waits that fail loudly instead of hanging, percentiles, and the CSV rows
// of docs/benchmarks (suite,metric,mode,cores,src,dst,unit,median,p99,samples).
#pragma once

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <x86intrin.h>

namespace bench {

using u64 = std::uint64_t;

// Reads the TSC. The LFENCEs keep it from running before the timed code's
// loads have completed, or after later ones (Intel SDM vol. 2, RDTSC).
inline u64 tsc() {
    _mm_lfence();
    const u64 t = __rdtsc();
    _mm_lfence();
    return t;
}

inline double monotonic_seconds() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// TSC ticks per second, measured against CLOCK_MONOTONIC. The TSC of the
// project's machines is invariant (constant_tsc, nonstop_tsc), so one
// calibration holds for the whole run.
inline double calibrate_tsc_hz(double seconds) {
    const double w0 = monotonic_seconds();
    const u64 t0 = tsc();
    while (monotonic_seconds() - w0 < seconds) {
    }
    const double w1 = monotonic_seconds();
    const u64 t1 = tsc();
    return static_cast<double>(t1 - t0) / (w1 - w0);
}

[[noreturn]] inline void die(const char* what, const char* detail = "") {
    std::fprintf(stderr, "urpc-host: error: %s%s\n", what, detail);
    std::fflush(stderr);
    _exit(1);
}

// Pins the calling thread to one CPU. Returns false (and says why on
// stderr) if the kernel refuses; the caller then reports unpinned results.
inline bool pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    const int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    if (rc != 0) {
        std::fprintf(stderr, "urpc-host: warning: cannot pin to CPU %d: %s\n", cpu, std::strerror(rc));
        return false;
    }
    return true;
}

// A spin budget for one wait loop. Reading the clock would cost as much as
// the message itself, so the poll count is checked and the clock is read
// only once every 1024 polls: the fast path never touches it.
class SpinBudget {
public:
    SpinBudget(double tsc_hz, double seconds, const char* what)
        : ticks_(static_cast<u64>(tsc_hz * seconds)), what_(what) {}
    void reset() {
        polls_ = 0;
        limit_ = 0;
    }
    void poll() {
        if ((++polls_ & 1023) == 0) check();
    }

private:
    void check() {
        const u64 now = tsc();
        if (limit_ == 0) limit_ = now + ticks_;
        else if (now > limit_) die("the peer did not answer in time; is it gone? during ", what_);
    }
    u64 ticks_;
    const char* what_;
    u64 limit_ = 0;
    unsigned polls_ = 0;
};

// The last line of defence for waits inside the kernel (read on a pipe or
// an eventfd): SIGALRM ends the process, naming the phase.
inline const char* volatile g_phase = "start";

inline void on_alarm(int) {
    const char* p = g_phase;
    static const char head[] = "urpc-host: error: watchdog expired during ";
    (void)!write(2, head, sizeof(head) - 1);
    (void)!write(2, p, std::strlen(p));
    (void)!write(2, "\n", 1);
    _exit(2);
}

inline void arm_watchdog(const char* phase, unsigned seconds) {
    g_phase = phase;
    ::signal(SIGALRM, on_alarm);
    alarm(seconds);
}

struct Summary {
    double median = 0;
    double p99 = 0;
    u64 samples = 0;
};

// Median and 99th percentile of `v`, multiplied by `scale`. For rates, where
// the slow end is the tail, pass low_tail = true: "p99" is then the value
// that 99% of the samples reach or exceed (the 1st percentile).
inline Summary summarize(std::vector<double> v, double scale, bool low_tail = false) {
    Summary s;
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    s.median = (n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) * scale;
    std::size_t k = (99 * n + 99) / 100;  // ceil(0.99 n), a 1-based rank
    k = std::min(std::max<std::size_t>(k, 1), n);
    s.p99 = (low_tail ? v[n - k] : v[k - 1]) * scale;
    s.samples = n;
    return s;
}

// Collects CSV rows; prints each to stdout as it comes and, at the end,
// all of them to a file if asked.
class Csv {
public:
    Csv(int src, int dst, bool pinned) {
        src_ = pinned ? std::to_string(src) : "-";
        dst_ = pinned ? std::to_string(dst) : "-";
    }
    static const char* header() { return "suite,metric,mode,cores,src,dst,unit,median,p99,samples"; }
    void row(const char* suite, const char* metric, const char* unit, const Summary& s) {
        char line[256];
        std::snprintf(line, sizeof(line), "%s,%s,host,2,%s,%s,%s,%.6g,%.6g,%llu", suite, metric,
                      src_.c_str(), dst_.c_str(), unit, s.median, s.p99,
                      static_cast<unsigned long long>(s.samples));
        rows_.push_back(line);
        std::printf("%s\n", line);
        std::fflush(stdout);
    }
    bool write_file(const char* path) const {
        FILE* f = std::fopen(path, "w");
        if (f == nullptr) return false;
        std::fprintf(f, "%s\n", header());
        for (const std::string& r : rows_) std::fprintf(f, "%s\n", r.c_str());
        return std::fclose(f) == 0;
    }

private:
    std::string src_;
    std::string dst_;
    std::vector<std::string> rows_;
};

}  // namespace bench
