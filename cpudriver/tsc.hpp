// Time from the TSC, calibrated once against the PIT (8254 channel 2, whose
// input clock is 1.193182 MHz on every PC). Used for the boot report, delays
// and benchmarks. Under QEMU TCG the guest TSC follows host time.
#pragma once

#include "base/result.hpp"

namespace mk::tsc {

// Measures the TSC rate over 10 ms of PIT time (BSP, before APs start).
Result<u64> calibrate_with_pit();
void set_hz(u64 hz);
u64 hz();
u64 cycles_to_us(u64 cycles);
u64 cycles_to_ns(u64 cycles);
u64 us_to_cycles(u64 us);
void spin_cycles(u64 cycles);
inline void spin_us(u64 us) { spin_cycles(us_to_cycles(us)); }

}  // namespace mk::tsc
