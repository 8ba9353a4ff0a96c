// System calls from user domains (the convention is in lib/abi/syscalls.hpp).
#pragma once

#include "abi/syscalls.hpp"
#include "base/error.hpp"

namespace mk::user {

struct SyscallResult {
    Error error;
    u64 value;
};

inline SyscallResult syscall(u64 number, u64 a0 = 0, u64 a1 = 0, u64 a2 = 0) {
    u64 rax = number, rdx = a2;
    asm volatile("syscall"
                 : "+a"(rax), "+d"(rdx)
                 : "D"(a0), "S"(a1)
                 : "rcx", "r11", "r8", "r9", "r10", "memory");
    return {static_cast<Error>(rax), rdx};
}

inline Error print(const char* text, usize length) { return syscall(abi::kSysPrint, reinterpret_cast<u64>(text), length).error; }
[[noreturn]] inline void exit(int code) {
    syscall(abi::kSysExit, static_cast<u64>(code));
    __builtin_unreachable();
}
inline void yield() { syscall(abi::kSysYield); }

}  // namespace mk::user
