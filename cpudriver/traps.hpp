// Trap entry: the register frame every interrupt and exception stub builds,
// and the vectors the CPU driver uses.
#pragma once

#include "base/types.hpp"

namespace mk {

// Pushed by trap_entry.S in this order (lowest address first).
struct TrapFrame {
    u64 r15, r14, r13, r12, r11, r10, r9, r8;
    u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
    u64 vector, error_code;
    u64 rip, cs, rflags, rsp, ss;  // pushed by the CPU
};
static_assert(sizeof(TrapFrame) == 22 * 8);

inline constexpr u8 kVectorTimer = 32;
inline constexpr u8 kVectorWake = 33;
inline constexpr u8 kVectorSpurious = 255;
// The "vector" syscall_entry (trap_entry.S) puts in a system call's frame.
inline constexpr u64 kVectorSyscall = 0x100;

// The entry stub for a vector, or 0 for vectors nothing should raise.
u64 trap_stub_address(u8 vector);

// "#PF page fault" and so on.
const char* exception_name(u64 vector);

// Called from trap_entry.S with interrupts disabled.
extern "C" void trap_dispatch(TrapFrame* frame);

// Reports an unexpected exception (core, registers, backtrace) and stops the
// machine with the failure status. Never returns.
[[noreturn]] void report_fault(const TrapFrame& frame);
// Wakes the dispatcher waiting in kSysWaitEvent (with Ok for an event, Timeout
// for its deadline), or keeps the event for the next wait.
void signal_event(TrapFrame& frame, bool timeout);

// Stops the machine with the failure status after printing `why`, with a
// backtrace from the caller. For invariants the CPU driver cannot recover from.
[[noreturn]] void panic(const char* why);

}  // namespace mk
