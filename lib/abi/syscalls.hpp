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
    kSysResume = 5,    // leave a fault upcall: continue DispatcherFrame::saved
    kSysNull = 6,      // does nothing: the cost of entering and leaving the kernel
    // kSysInvoke = 7 (lib/abi/caps.hpp)
    kSysCall = 8,       // same-core protected control transfer, see lib/abi/caps.hpp
    kSysReplyRecv = 9,
    kSysReply = 10,     // answer the last caller without waiting for the next
    kSysResumeEnabled = 11,  // (const UserRegisters* regs): leave disabled mode and continue regs, in one step
    kSysWaitEvent = 12,      // (u64 ticks): block until an event (a wake IPI to this core) or `ticks` timer
                             // ticks (at most 1000) pass: Ok or Timeout. An event that came while nobody
                             // waited is kept for the next wait. 0 ticks: only take a kept event.
                             // One waiter per core (Busy for another).
    kSysCount,
};

inline constexpr usize kMaxPrint = 256;  // longer text is refused with TooLong

// Where the CPU driver places a domain's stack (below a guard page) and its
// dispatcher frame (the last page of the lower half).
inline constexpr u64 kUserStackTop = 0x00007FFFFFFFE000;
inline constexpr u64 kUserStackPages = 16;
inline constexpr u64 kDispatcherFrameAddress = 0x00007FFFFFFFF000;

// The registers of an interrupted user context, as the fault upcall sees them
// and as kSysResume restores them. Segment registers are not here: the CPU
// driver always resumes with the user selectors, and RFLAGS is sanitised
// (interrupts on, I/O privilege 0, no trap flag).
struct UserRegisters {
    u64 rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    u64 r8, r9, r10, r11, r12, r13, r14, r15;
    u64 rip, rflags;
};

// The x87/SSE state as FXSAVE writes it and FXRSTOR reads it (SDM 1, 10.5.1):
// 512 bytes, 16-byte aligned. The defaults are the state after FNINIT with
// MXCSR's power-up value: every x87 and SIMD exception masked, round to
// nearest. A state of all zeros would unmask every exception.
struct alignas(16) FpuState {
    u16 fcw = 0x037F;  // x87 control word
    u16 fsw = 0;
    u8 ftw = 0;        // abridged tag word: every register empty
    u8 reserved0 = 0;
    u16 fop = 0;
    u64 fip = 0;
    u64 fdp = 0;
    u32 mxcsr = 0x1F80;
    u32 mxcsr_mask = 0;
    u8 registers[480] = {};  // ST0-7/MM0-7, XMM0-15, and reserved space
};
static_assert(sizeof(FpuState) == 512 && alignof(FpuState) == 16);

// The dispatcher frame: one page per dispatcher, mapped into its domain, the
// scheduler-activation interface between the CPU driver and the user-level
// runtime (Anderson et al.; Barrelfish's dispatcher frame). The domain writes
// the handler fields; the CPU driver writes the rest.
struct DispatcherFrame {
    // Set by the domain: where exceptions are delivered. 0 = the domain is
    // ended on its first exception.
    u64 fault_handler;
    u64 fault_stack_top;
    // Set by the CPU driver for the handler: 1 while a fault upcall runs (a
    // second fault then ends the domain), and what happened.
    u64 in_fault;
    u64 fault_vector;
    u64 fault_error;
    u64 fault_address;  // CR2 for page faults
    UserRegisters saved;  // the interrupted context; the handler may edit it
    // Read-only facts for the runtime.
    u64 core;
    u64 cores;
    u64 domain_id;
    u64 faults_delivered;
    u64 tsc_hz;  // the calibrated TSC rate (under QEMU -icount: 1 GHz, one tick per instruction)
    // Written by the creator of a dispatcher before kDispatcherSetup: the
    // first stack pointer and the first argument (RDI) of the new dispatcher.
    u64 start_sp;
    u64 start_arg;
    // The boot modules this domain holds read-only Frames of (abi::kModuleCNode):
    // the name (the first word of the module's command line) and its size.
    u64 module_count;
    struct {
        char name[32];
        u64 bytes;
    } modules[16];
    // Written by the creator before kDispatcherSetup: the new domain's name
    // in console lines (empty: the creator's own name).
    char start_name[32];
    // Written by the CPU driver for the domains it starts at boot (the
    // monitors): the kernel command line, without the image path.
    char cmdline[192];

    // Scheduler activations (docs/user-level.md). Set by the domain: the run
    // upcall's entry and stack. With run_entry == 0 the dispatcher has no
    // activations: a preempted dispatcher is resumed where it was.
    u64 run_entry;
    u64 upcall_stack_top;
    // Non-zero while the domain's runtime is in code that must not be
    // interrupted by an upcall (the run upcall itself, a thread switch, a
    // fault handler). The domain sets it to disable; the CPU driver sets it on
    // every upcall and clears it in kSysResume and kSysResumeEnabled.
    u64 disabled;
    // Written by the CPU driver when it preempts the dispatcher: while enabled
    // the registers go to enabled_area and the next dispatch is a run upcall
    // (the runtime takes them from here); while disabled they go to
    // disabled_area and the next dispatch resumes them (sanitised), so the
    // runtime may edit them in between.
    UserRegisters enabled_area;
    UserRegisters disabled_area;
    u64 run_upcalls;           // how many run upcalls the CPU driver made
    u64 disabled_preemptions;  // how many preemptions found the dispatcher disabled
    // During a fault upcall: the interrupted context's x87/SSE state, so the
    // handler may use the FPU. kSysResume restores it (with MXCSR sanitised);
    // the handler may edit it, as it may edit `saved`.
    FpuState fault_fpu;
};
static_assert(sizeof(DispatcherFrame) <= 4096);

}  // namespace mk::abi
