/* Interrupt and exception entry stubs. Each stub makes the stack look the
 * same whether or not the CPU pushed an error code (SDM 3A, 6.13), pushes its
 * vector number, and jumps to trap_common, which saves the general registers
 * as a struct TrapFrame (traps.hpp) and calls trap_dispatch. */
#include "layout.h"

/* The general registers in struct TrapFrame order (r15 at the lowest address). */
.macro PUSH_GPRS
    .irp r, rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15
    push %\r
    .endr
.endm
.macro POP_GPRS
    .irp r, r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax
    pop %\r
    .endr
.endm

/* Exceptions that push an error code: #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX */
.macro TRAP_STUB vector
    .align 16
trap_stub_\vector:
    .if (\vector == 8) || (\vector >= 10 && \vector <= 14) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30)
    .else
    pushq $0
    .endif
    pushq $\vector
    jmp trap_common
.endm

    .text
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,255
    TRAP_STUB \v
    .endr

trap_common:
    /* From user mode, GS still holds the user's base: swap in the core's. */
    testb $3, 24(%rsp)
    jz 1f
    swapgs
1:  PUSH_GPRS
    cld
    mov %rsp, %rdi
    /* A fresh frame chain: a fault report walks the interrupted code's chain
     * from the saved RBP in the frame, not through this stub. */
    xor %ebp, %ebp
    call trap_dispatch
    .global trap_exit
trap_exit:
    POP_GPRS
    add $16, %rsp
    testb $3, 8(%rsp)
    jz 2f
    swapgs
2:  iretq

/* Enters a context described by a TrapFrame (first entry into a dispatcher,
 * or the idle loop): void trap_return(TrapFrame* frame). */
    .global trap_return
trap_return:
    mov %rdi, %rsp
    jmp trap_exit

/* SYSCALL entry (SDM 2B, SYSCALL): RCX = user RIP, R11 = user RFLAGS, RSP is
 * still the user's, interrupts are off (IA32_FMASK). Builds the same
 * TrapFrame an interrupt from user mode would, so the scheduler can switch
 * dispatchers on a system call exactly as on a timer tick, and returns through
 * the same exit path (IRETQ). */
    .global syscall_entry
syscall_entry:
    swapgs
    mov %rsp, %gs:CORE_USER_RSP_SCRATCH
    mov %gs:CORE_KERNEL_STACK_TOP, %rsp
    pushq $USER_DATA_SELECTOR
    pushq %gs:CORE_USER_RSP_SCRATCH
    pushq %r11
    pushq $USER_CODE_SELECTOR
    pushq %rcx
    pushq $0
    pushq $0x100                                /* "vector" 0x100 marks a system call */
    PUSH_GPRS
    cld
    mov %rsp, %rdi
    xor %ebp, %ebp
    call syscall_dispatch
    jmp trap_exit

    .section .rodata
    .align 8
    .global trap_stub_table
trap_stub_table:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,255
    .byte \v
    .byte 0,0,0,0,0,0,0
    .quad trap_stub_\v
    .endr
    .global trap_stub_table_end
trap_stub_table_end:
