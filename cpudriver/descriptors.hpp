// The per-core descriptor tables: GDT with a TSS, and the IDT. Each core
// builds and loads its own (Intel SDM vol. 3A, chapters 3, 6 and 7).
#pragma once

#include "base/types.hpp"

namespace mk {

struct [[gnu::packed]] Tss {
    u32 reserved0;
    u64 rsp[3];
    u64 reserved1;
    u64 ist[7];
    u64 reserved2;
    u16 reserved3;
    u16 iomap_base;
};
static_assert(sizeof(Tss) == 104);

struct [[gnu::packed]] IdtGate {
    u16 offset_low;
    u16 selector;
    u8 ist;
    u8 type_attr;
    u16 offset_mid;
    u32 offset_high;
    u32 reserved;
};
static_assert(sizeof(IdtGate) == 16);

// IST slots used by the IDT (1-based as in the gate's IST field).
inline constexpr u8 kIstDoubleFault = 1;
inline constexpr u8 kIstNmi = 2;

struct DescriptorTables {
    alignas(16) u64 gdt[7];  // null, kernel code, kernel data, (user slots later), TSS (2 words)
    alignas(16) IdtGate idt[256];
    alignas(16) Tss tss;
};

// Fills and loads this core's GDT, TSS and IDT. Interrupts from user mode
// arrive on `kernel_stack_top`; double faults and NMIs on their own stacks.
void load_descriptor_tables(DescriptorTables& t, u64 kernel_stack_top, u64 double_fault_stack_top,
                            u64 nmi_stack_top);

}  // namespace mk
