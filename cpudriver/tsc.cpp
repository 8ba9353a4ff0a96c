// TSC calibration and conversions; see tsc.hpp.
#include "tsc.hpp"

#include "base/atomic.hpp"
#include "x86.hpp"

namespace mk::tsc {
namespace {
// Written once by the BSP before other cores start; read-only afterwards.
u64 g_hz = 0;
}  // namespace

Result<u64> calibrate_with_pit() {
    constexpr u32 kPitHz = 1193182;
    constexpr u32 kCount = kPitHz / 100;  // 10 ms
    // Port 0x61: bit 0 gates channel 2, bit 1 drives the speaker (keep it off),
    // bit 5 reads channel 2's output, which goes high when the count ends.
    u8 gate = x86::inb(0x61);
    x86::outb(0x61, static_cast<u8>((gate & ~0x02) | 0x01));
    x86::outb(0x43, 0xB0);  // channel 2, low then high byte, mode 0 (SDM-independent 8254 data sheet)
    x86::outb(0x42, kCount & 0xFF);
    x86::outb(0x42, static_cast<u8>(kCount >> 8));
    u64 start = x86::rdtsc();
    u64 polls = 0;
    while ((x86::inb(0x61) & 0x20) == 0) {
        if (++polls > 100000000) return Error::Timeout;  // no PIT: do not hang
    }
    u64 end = x86::rdtsc();
    x86::outb(0x61, gate);
    if (end <= start) return Error::InvalidArgument;
    return (end - start) * 100;
}

void set_hz(u64 hz) { g_hz = hz; }
u64 hz() { return g_hz; }

u64 cycles_to_us(u64 cycles) { return g_hz == 0 ? 0 : cycles / (g_hz / 1000000 == 0 ? 1 : g_hz / 1000000); }
u64 cycles_to_ns(u64 cycles) { return g_hz == 0 ? 0 : cycles * 1000 / (g_hz / 1000000 == 0 ? 1 : g_hz / 1000000); }
u64 us_to_cycles(u64 us) { return us * (g_hz / 1000000); }

void spin_cycles(u64 cycles) {
    u64 start = x86::rdtsc();
    while (x86::rdtsc() - start < cycles) cpu_relax();
}

}  // namespace mk::tsc
