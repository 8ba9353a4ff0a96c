// The shared-state experiment (`bench-shared` on the kernel command line):
// the multikernel paper's comparison of updating shared state under a lock
// in shared memory against sending each update to the state's owner core.
// Core 0 runs it on every core through CoreControl.benchShared; the logic
// that is not hardware lives in lib/bench/shared_update.hpp.
#pragma once

#include "links.hpp"

namespace mk {

// Core 0: every state size (1, 4, 8 lines) by both methods on all cores,
// `samples` timed updates per core each; prints one CSV row per method,
// size and unit, then "BENCH shared done". False (after saying why) when a
// run fails or a record check does not add up.
bool run_shared_benchmark(u64 samples, bool icount);

// Another core's part of one run, as CoreControl.benchShared asks for it.
Status serve_bench_shared(const bootidl::CoreControl::BenchSharedParams& p,
                          bootidl::CoreControl::BenchSharedResults& r);

}  // namespace mk
