// Per-core GDT, TSS and IDT; see descriptors.hpp.
#include "descriptors.hpp"

#include "layout.h"
#include "traps.hpp"

namespace mk {
namespace {

struct [[gnu::packed]] TablePointer {
    u16 limit;
    u64 base;
};

constexpr u64 kCode64 = 0x00AF9A000000FFFF;      // present, ring 0, long-mode code
constexpr u64 kData = 0x00CF92000000FFFF;        // present, ring 0, writable data
constexpr u64 kUserData = 0x00CFF2000000FFFF;    // present, ring 3, writable data
constexpr u64 kUserCode64 = 0x00AFFA000000FFFF;  // present, ring 3, long-mode code
constexpr u16 kTssSelector = 0x28;

void set_gate(IdtGate& g, u64 handler, u8 ist) {
    g.offset_low = static_cast<u16>(handler);
    g.selector = GDT_KERNEL_CODE;
    g.ist = ist;
    g.type_attr = 0x8E;  // present, ring 0, 64-bit interrupt gate
    g.offset_mid = static_cast<u16>(handler >> 16);
    g.offset_high = static_cast<u32>(handler >> 32);
    g.reserved = 0;
}

}  // namespace

void load_descriptor_tables(DescriptorTables& t, u64 kernel_stack_top, u64 double_fault_stack_top,
                            u64 nmi_stack_top) {
    t.tss = Tss{};
    t.tss.rsp[0] = kernel_stack_top;  // the stack for interrupts from user mode
    t.tss.ist[kIstDoubleFault - 1] = double_fault_stack_top;
    t.tss.ist[kIstNmi - 1] = nmi_stack_top;
    t.tss.iomap_base = sizeof(Tss);  // no I/O permission bitmap

    u64 tss = reinterpret_cast<u64>(&t.tss);
    u64 limit = sizeof(Tss) - 1;
    t.gdt[0] = 0;
    t.gdt[1] = kCode64;
    t.gdt[2] = kData;
    t.gdt[3] = kUserData;    // GDT_USER_DATA: SYSRET's SS
    t.gdt[4] = kUserCode64;  // GDT_USER_CODE: SYSRET's CS
    // A 64-bit TSS descriptor takes two GDT slots (SDM 3A, 7.2.3).
    t.gdt[5] = (limit & 0xFFFF) | ((tss & 0xFFFFFF) << 16) | (u64{0x89} << 40) | (((limit >> 16) & 0xF) << 48) |
               (((tss >> 24) & 0xFF) << 56);
    t.gdt[6] = tss >> 32;

    for (usize v = 0; v < 256; ++v) {
        u64 stub = trap_stub_address(static_cast<u8>(v));
        u8 ist = v == 8 ? kIstDoubleFault : v == 2 ? kIstNmi : 0;
        if (stub != 0) set_gate(t.idt[v], stub, ist);
        else t.idt[v] = IdtGate{};
    }

    TablePointer gdtr{sizeof t.gdt - 1, reinterpret_cast<u64>(t.gdt)};
    TablePointer idtr{sizeof t.idt - 1, reinterpret_cast<u64>(t.idt)};
    asm volatile(
        "lgdt %0\n"
        "pushq %2\n"
        "leaq 1f(%%rip), %%rax\n"
        "pushq %%rax\n"
        "lretq\n"  // reload CS from the new GDT
        "1:\n"
        "mov %3, %%ax\n"
        "mov %%ax, %%ds\n"
        "mov %%ax, %%es\n"
        "mov %%ax, %%ss\n"
        "lidt %1\n"
        "ltr %w4\n"
        :
        : "m"(gdtr), "m"(idtr), "i"(GDT_KERNEL_CODE), "i"(GDT_KERNEL_DATA), "r"(kTssSelector)
        : "rax", "memory");
}

}  // namespace mk
