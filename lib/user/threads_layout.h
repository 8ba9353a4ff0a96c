/* Where lib/user/threads_switch.S finds a thread's saved state: the
 * registers (abi::UserRegisters) at the start of a Thread, its FXSAVE area
 * after them. threads.cpp checks these with static_assert. */
#pragma once

#define THREAD_RBX 8
#define THREAD_RBP 48
#define THREAD_RSP 56
#define THREAD_R12 96
#define THREAD_R13 104
#define THREAD_R14 112
#define THREAD_R15 120
#define THREAD_RIP 128
#define THREAD_RFLAGS 136
#define THREAD_RAX 0
#define THREAD_FPU 160

#define SYS_RESUME_ENABLED 11
