// See fpu.hpp.
#include "fpu.hpp"

#include "core.hpp"
#include "traps.hpp"
#include "x86.hpp"

namespace mk::fpu {
namespace {

// The MXCSR bits this CPU supports (SDM 1, 11.6.6). Written by the BSP
// before any other core starts; read-only afterwards (every core has the
// same CPU features).
u32 g_mxcsr_mask = 0xFFBF;

constexpr u64 kCr0Mp = 1u << 1;   // WAIT/FWAIT honour TS
constexpr u64 kCr0Em = 1u << 2;   // x87 emulation: must be off for SSE
constexpr u64 kCr0Ts = 1u << 3;   // task switched: we switch eagerly, so never set
constexpr u64 kCr0Ne = 1u << 5;   // x87 errors as #MF, not the legacy IRQ 13
constexpr u64 kCr4Osfxsr = 1u << 9;       // FXSAVE/FXRSTOR and SSE instructions
constexpr u64 kCr4Osxmmexcpt = 1u << 10;  // unmasked SIMD exceptions raise #XM, not #UD

}  // namespace

void enable_on_this_core() {
    auto leaf1 = x86::cpuid(1);
    constexpr u32 kFxsr = 1u << 24, kSse = 1u << 25, kSse2 = 1u << 26;
    if ((leaf1.edx & (kFxsr | kSse | kSse2)) != (kFxsr | kSse | kSse2)) panic("the CPU lacks FXSR, SSE or SSE2");
    // SDM 3A, 9.6 and 13.1.3: what an operating system sets for SSE.
    x86::write_cr0((x86::read_cr0() & ~(kCr0Em | kCr0Ts)) | kCr0Mp | kCr0Ne);
    x86::write_cr4(x86::read_cr4() | kCr4Osfxsr | kCr4Osxmmexcpt);
    asm volatile("fninit" ::: "memory");
    if (core_number() == 0) {
        // FXSAVE reports the supported MXCSR bits; 0 means the default mask.
        abi::FpuState probe;
        x86::fxsave(&probe);
        if (probe.mxcsr_mask != 0) g_mxcsr_mask = probe.mxcsr_mask;
    }
}

void restore_untrusted(const abi::FpuState& state) {
    abi::FpuState copy = state;  // read once: the domain could still change its page
    copy.mxcsr &= g_mxcsr_mask;
    x86::fxrstor(&copy);
}

}  // namespace mk::fpu
