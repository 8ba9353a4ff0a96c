/* The parts of the thread runtime (threads.cpp) that must not be compiled
 * code: saving a thread that switches voluntarily, resuming a thread, and the
 * entry of the run upcall, which must save the preempted thread's x87/SSE
 * state before any compiled code can use the XMM registers. */
#include "user/threads_layout.h"

    .text

/* The run upcall. The CPU driver enters here disabled, on the upcall stack
 * (RSP as if called), with the preempted thread's registers in the
 * dispatcher frame's enabled_area and its x87/SSE state still in the FPU. */
    .global threads_run_upcall_entry
threads_run_upcall_entry:
    mov threads_current(%rip), %rax
    fxsave64 THREAD_FPU(%rax)
    xor %ebp, %ebp                      /* the end of a backtrace */
    and $-16, %rsp                      /* the ABI's alignment at a call */
    call threads_run_upcall             /* never returns */
    ud2

/* int threads_save_context(Thread* t): saves what the caller needs to find
 * again after a call (callee-saved registers, stack, return address, flags,
 * the x87/SSE control state with the rest of the FPU) and returns 0. When the
 * thread is resumed from this state it returns a second time, with 1. */
    .global threads_save_context
threads_save_context:
    mov %rbx, THREAD_RBX(%rdi)
    mov %rbp, THREAD_RBP(%rdi)
    mov %r12, THREAD_R12(%rdi)
    mov %r13, THREAD_R13(%rdi)
    mov %r14, THREAD_R14(%rdi)
    mov %r15, THREAD_R15(%rdi)
    lea 8(%rsp), %rax                   /* the stack as it is after our return */
    mov %rax, THREAD_RSP(%rdi)
    mov (%rsp), %rax                    /* resume at the return address */
    mov %rax, THREAD_RIP(%rdi)
    pushfq
    popq THREAD_RFLAGS(%rdi)
    movq $1, THREAD_RAX(%rdi)           /* the second return's value */
    fxsave64 THREAD_FPU(%rdi)
    xor %eax, %eax
    ret

/* [[noreturn]] void threads_resume(const Thread* t), called disabled: loads
 * the thread's x87/SSE state, then leaves disabled mode and loads its
 * registers in one system call (kSysResumeEnabled). A preemption before the
 * call resumes this code (disabled), so the FPU state loaded here survives. */
    .global threads_resume
threads_resume:
    fxrstor64 THREAD_FPU(%rdi)
    mov $SYS_RESUME_ENABLED, %eax       /* RDI: the registers, at offset 0 */
    syscall
    ud2                                 /* refused: a fault while disabled ends the domain */

    .section .note.GNU-stack, "", @progbits
