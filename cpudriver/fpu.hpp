// The x87/SSE unit for user domains. Every core enables it at set-up; the
// Scheduler switches its state between dispatchers (eagerly, with FXSAVE and
// FXRSTOR, when a different dispatcher is loaded); a fault upcall keeps the
// interrupted context's state in the dispatcher frame. The CPU driver itself
// never uses the FPU (it is built with -mgeneral-regs-only).
#pragma once

#include "abi/syscalls.hpp"

namespace mk::fpu {

// Enables FXSAVE/FXRSTOR and SSE on this core (CR0, CR4) and resets the x87
// unit. Panics if the CPU lacks FXSR, SSE or SSE2 (every x86-64 CPU has them).
void enable_on_this_core();

// Loads `state` from memory a domain can write (the dispatcher frame): it is
// copied first, and MXCSR bits the CPU does not support, which would make
// FXRSTOR fault in the CPU driver, are cleared in the copy.
void restore_untrusted(const abi::FpuState& state);

}  // namespace mk::fpu
