/* The CPU driver's first instructions. Both boot loaders enter here in 32-bit
 * protected mode with paging off: GRUB through the Multiboot2 header (EAX =
 * 0x36d76289), QEMU's -kernel through the Multiboot1 header (EAX =
 * 0x2badb002); EBX holds the physical address of the loader's information.
 *
 * This code runs at its physical address (the .boot section is linked where
 * it is loaded). It builds a minimal page table that maps the first 1 GiB
 * twice, at 0 and at the higher-half kernel base, enters long mode and jumps
 * to the C++ entry point in the higher half. */
#include "layout.h"

#define MB2_MAGIC 0xE85250D6
#define MB1_MAGIC 0x1BADB002
/* Multiboot1 flags: page-align modules, give a memory map, and the a.out
 * kludge (bit 16), which makes QEMU load us by the addresses below instead
 * of refusing an ELF64 file. */
#define MB1_FLAGS ((1 << 0) | (1 << 1) | (1 << 16))

    .section .multiboot, "a"
    .align 8
mb2_header:
    .long MB2_MAGIC
    .long 0                                    /* architecture: i386 protected mode */
    .long mb2_header_end - mb2_header
    .long 0x100000000 - (MB2_MAGIC + (mb2_header_end - mb2_header))
    .align 8                                   /* module alignment tag: page-align modules */
    .short 6, 0
    .long 8
    .align 8                                   /* end tag */
    .short 0, 0
    .long 8
mb2_header_end:

    .align 4
mb1_header:
    .long MB1_MAGIC
    .long MB1_FLAGS
    .long 0x100000000 - (MB1_MAGIC + MB1_FLAGS)
    .long mb1_header                            /* header_addr */
    .long __load_start_phys                     /* load_addr */
    .long __load_end_phys                       /* load_end_addr */
    .long __bss_end_phys                        /* bss_end_addr */
    .long _start32                              /* entry_addr */

    .section .boot.text, "ax"
    .code32
    .global _start32
_start32:
    cli
    cld
    /* Remember the TSC at kernel entry for the boot report. */
    mov %eax, %edi
    rdtsc
    mov %eax, boot_entry_tsc
    mov %edx, boot_entry_tsc + 4
    mov %edi, %eax
    mov $boot_stack32_top, %esp
    mov %eax, boot_magic
    mov %ebx, boot_info_phys

    /* Long mode is required: CPUID 0x80000001, EDX bit 29. */
    mov $0x80000000, %eax
    cpuid
    cmp $0x80000001, %eax
    jb no_long_mode
    mov $0x80000001, %eax
    cpuid
    test $(1 << 29), %edx
    jz no_long_mode
    mov %edx, %esi                              /* keep the feature bits: NX is bit 20 */

    /* One page directory of 2 MiB pages maps the first 1 GiB. It is reached
     * from PDPT entry 0 (identity) and entry 510 (0xFFFFFFFF80000000). */
    mov $boot_pd, %edi
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax                              /* present, writable, 2 MiB page */
    mov %eax, (%edi, %ecx, 8)
    movl $0, 4(%edi, %ecx, 8)
    inc %ecx
    cmp $512, %ecx
    jne 1b
    movl $(boot_pd + 3), boot_pdpt
    movl $(boot_pd + 3), boot_pdpt + 510 * 8
    movl $(boot_pdpt + 3), boot_pml4
    movl $(boot_pdpt + 3), boot_pml4 + 511 * 8

    mov %cr4, %eax
    or $(1 << 5), %eax                          /* PAE */
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx                       /* IA32_EFER */
    rdmsr
    or $(1 << 8), %eax                          /* LME */
    test $(1 << 20), %esi
    jz 2f
    or $(1 << 11), %eax                         /* NXE, when the CPU has NX */
2:  wrmsr
    mov %cr0, %eax
    or $0x80010000, %eax                        /* PG and WP */
    mov %eax, %cr0
    lgdt boot_gdt_ptr
    ljmp $GDT_KERNEL_CODE, $start64_low

no_long_mode:
    /* Say why on COM1 (no initialisation needed on QEMU) and stop. */
    mov $no_long_mode_msg, %esi
3:  lodsb
    test %al, %al
    jz 4f
    mov $0x3F8, %dx
    out %al, %dx
    jmp 3b
4:  mov $DEBUG_EXIT_FAILURE, %al
    out %al, $DEBUG_EXIT_PORT
5:  hlt
    jmp 5b

    .code64
start64_low:
    /* Still at the physical address: jump to the higher-half copy. */
    movabs $start64_high, %rax
    jmp *%rax

    .section .boot.data, "aw"
    .align 8
    .global boot_entry_tsc, boot_magic, boot_info_phys, boot_pml4, boot_cpu_features
boot_entry_tsc: .quad 0
boot_magic: .long 0
boot_info_phys: .long 0
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF                    /* 0x08: 64-bit code */
    .quad 0x00CF92000000FFFF                    /* 0x10: data */
boot_gdt_end:
boot_gdt_ptr:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt
no_long_mode_msg:
    .asciz "boot: this CPU has no long mode (x86-64); cannot continue\r\n"

    .section .boot.bss, "aw", @nobits
    .align 4096
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd: .skip 4096
boot_stack32: .skip 1024
boot_stack32_top:

    .text
    .code64
start64_high:
    mov $GDT_KERNEL_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    movabs $bsp_stack_top, %rsp
    xor %ebp, %ebp                              /* terminates backtraces */
    mov boot_magic, %edi
    mov boot_info_phys, %esi
    call bsp_main
6:  cli
    hlt
    jmp 6b

    .bss
    .align 16
bsp_stack:
    .skip 16384
    .global bsp_stack_top, bsp_stack
bsp_stack_top:
