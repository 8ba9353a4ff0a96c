/* Addresses shared by the boot assembly, the linker script and the CPU
 * driver. Plain #defines so that .S files, the linker script (through the C
 * preprocessor) and C++ can all include it. */
#pragma once

/* The kernel is loaded at 1 MiB and runs in the top 2 GiB (-mcmodel=kernel). */
#define KERNEL_PHYS_BASE 0x100000
#define KERNEL_VMA_OFFSET 0xFFFFFFFF80000000

/* All of physical memory below 4 GiB is mapped here (the direct map). */
#define DIRECT_MAP_BASE 0xFFFF800000000000
#define DIRECT_MAP_SIZE 0x100000000

/* The application-processor trampoline: one 4 KiB page below 1 MiB, since
 * the SIPI vector is a page number (Intel SDM vol. 3A, 9.4.4.1). */
#define TRAMPOLINE_PHYS 0x8000

/* Segment selectors of every core's GDT (cpudriver/gdt.cpp). */
#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
/* SYSRET takes the user selectors from STAR[63:48] = 0x10: SS = 0x18, CS = 0x20. */
#define GDT_USER_DATA 0x18
#define GDT_USER_CODE 0x20
#define USER_DATA_SELECTOR (GDT_USER_DATA | 3)
#define USER_CODE_SELECTOR (GDT_USER_CODE | 3)

/* Offsets into struct Core that assembly reads through %gs (core.hpp checks them). */
#define CORE_USER_RSP_SCRATCH 8
#define CORE_KERNEL_STACK_TOP 16

/* QEMU's isa-debug-exit device: QEMU exits with (value << 1) | 1. */
#define DEBUG_EXIT_PORT 0xF4
#define DEBUG_EXIT_SUCCESS 0x10 /* QEMU exit status 33 */
#define DEBUG_EXIT_FAILURE 0x11 /* QEMU exit status 35 */
