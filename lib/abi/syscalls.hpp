// The system-call interface between user domains and the CPU driver: the
// numbers, the register convention and the results. Shared by the CPU driver
// and the user-level runtime, so the two cannot disagree.
//
// Convention (x86-64 SYSCALL): number in RAX, arguments in RDI, RSI, RDX,
// R10, R8, R9 (RCX and R11 are taken by the instruction). On return RAX holds
// an mk::Error (0 = Ok) and RDX a result word. A failed call changes nothing.
#pragma once

#include "base/types.hpp"

namespace mk::abi {

enum Syscall : u64 {
    kSysPrint = 1,     // (const char* text, usize length): one line on the console
    kSysExit = 2,      // (int code): end this dispatcher
    kSysYield = 3,     // give the core to the next runnable dispatcher
    kSysCoreInfo = 4,  // -> RDX = this core's number | core count << 32
    kSysCount,
};

inline constexpr usize kMaxPrint = 256;  // longer text is refused with TooLong

// Where the CPU driver places a monitor's stack: the top of the lower half,
// below a guard page.
inline constexpr u64 kUserStackTop = 0x00007FFFFFFFE000;
inline constexpr u64 kUserStackPages = 16;

}  // namespace mk::abi
