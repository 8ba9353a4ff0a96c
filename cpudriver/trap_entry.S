/* Interrupt and exception entry stubs. Each stub makes the stack look the
 * same whether or not the CPU pushed an error code (SDM 3A, 6.13), pushes its
 * vector number, and jumps to trap_common, which saves the general registers
 * as a struct TrapFrame (traps.hpp) and calls trap_dispatch. */

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
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,255
    TRAP_STUB \v
    .endr

trap_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    cld
    mov %rsp, %rdi
    /* A fresh frame chain: a fault report walks the interrupted code's chain
     * from the saved RBP in the frame, not through this stub. */
    xor %ebp, %ebp
    call trap_dispatch
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp
    iretq

    .section .rodata
    .align 8
    .global trap_stub_table
trap_stub_table:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,255
    .byte \v
    .byte 0,0,0,0,0,0,0
    .quad trap_stub_\v
    .endr
    .global trap_stub_table_end
trap_stub_table_end:
