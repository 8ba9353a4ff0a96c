/* The application-processor trampoline. The BSP copies the bytes between
 * trampoline_start and trampoline_end to TRAMPOLINE_PHYS, fills in the
 * parameter block at its end, and sends INIT-SIPI-SIPI with vector
 * TRAMPOLINE_PHYS >> 12. The AP starts here in real mode with CS =
 * TRAMPOLINE_PHYS >> 4, IP = 0 (Intel SDM vol. 3A, 9.4.4), goes through
 * protected mode into long mode on the boot page tables, takes its stack and
 * argument from the parameter block and jumps to its C++ entry point.
 *
 * The code is linked elsewhere but runs at TRAMPOLINE_PHYS, so every address
 * is written as TRAMPOLINE_PHYS + (label - trampoline_start). */
#include "layout.h"

#define ABS(label) (TRAMPOLINE_PHYS + ((label) - trampoline_start))

    .section .rodata.trampoline, "a"
    .global trampoline_start, trampoline_end, trampoline_params
    .code16
trampoline_start:
    cli
    cld
    xor %ax, %ax
    mov %ax, %ds
    lgdtl ABS(tramp_gdt_ptr)
    mov %cr0, %eax
    or $1, %eax                                 /* PE */
    mov %eax, %cr0
    ljmpl $0x08, $ABS(tramp_pm32)

    .code32
tramp_pm32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %cr4, %eax
    or $(1 << 5), %eax                          /* PAE */
    mov %eax, %cr4
    mov ABS(param_cr3), %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx                       /* IA32_EFER */
    rdmsr
    or ABS(param_efer_bits), %eax               /* LME, and NXE when the BSP uses it */
    wrmsr
    mov %cr0, %eax
    or $0x80010000, %eax                        /* PG and WP */
    mov %eax, %cr0
    ljmp $0x18, $ABS(tramp_lm64)

    .code64
tramp_lm64:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov ABS(param_stack), %rsp
    mov ABS(param_arg), %rdi
    mov ABS(param_entry), %rax
    xor %ebp, %ebp
    jmp *%rax

    .align 16
tramp_gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF                    /* 0x08: 32-bit code */
    .quad 0x00CF92000000FFFF                    /* 0x10: data */
    .quad 0x00AF9A000000FFFF                    /* 0x18: 64-bit code */
tramp_gdt_end:
tramp_gdt_ptr:
    .short tramp_gdt_end - tramp_gdt - 1
    .long ABS(tramp_gdt)

    .align 8
trampoline_params:                              /* struct TrampolineParams in smp.cpp */
param_cr3: .quad 0
param_efer_bits: .quad 0
param_stack: .quad 0
param_entry: .quad 0
param_arg: .quad 0
trampoline_end:
