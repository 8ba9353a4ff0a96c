// Thin wrappers over the x86-64 instructions the CPU driver needs. Each is
// one instruction; the names follow the Intel SDM mnemonics.
#pragma once

#include "base/types.hpp"

namespace mk::x86 {

inline void outb(u16 port, u8 v) { asm volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
inline u8 inb(u16 port) {
    u8 v;
    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
inline void outl(u16 port, u32 v) { asm volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }

inline u64 rdtsc() {
    u32 lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (u64{hi} << 32) | lo;
}

inline u64 rdmsr(u32 msr) {
    u32 lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (u64{hi} << 32) | lo;
}
inline void wrmsr(u32 msr, u64 v) {
    asm volatile("wrmsr" ::"c"(msr), "a"(static_cast<u32>(v)), "d"(static_cast<u32>(v >> 32)));
}

struct CpuidResult {
    u32 eax, ebx, ecx, edx;
};
inline CpuidResult cpuid(u32 leaf, u32 subleaf = 0) {
    CpuidResult r;
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
}

inline u64 read_cr0() {
    u64 v;
    asm volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}
inline void write_cr0(u64 v) { asm volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }
inline u64 read_cr2() {
    u64 v;
    asm volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}
inline u64 read_cr3() {
    u64 v;
    asm volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}
inline void write_cr3(u64 v) { asm volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
// Invalidates the TLB entries (and paging-structure caches) for the page at
// `va` (SDM 3A, 4.10.4.1). Without PCIDs, whatever address space loaded them.
inline void invlpg(u64 va) { asm volatile("invlpg (%0)" ::"r"(va) : "memory"); }
inline u64 read_cr4() {
    u64 v;
    asm volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

inline void write_cr4(u64 v) { asm volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }

// The x87/SSE state to and from a 512-byte, 16-byte aligned area (SDM 2A,
// FXSAVE). The 64-bit forms keep the full x87 instruction and data pointers.
// These are the CPU driver's only uses of the FPU: it is built with
// -mgeneral-regs-only, so compiled code never touches the state it switches.
inline void fxsave(void* area) { asm volatile("fxsave64 %0" : "=m"(*static_cast<u8(*)[512]>(area))); }
inline void fxrstor(const void* area) { asm volatile("fxrstor64 %0" ::"m"(*static_cast<const u8(*)[512]>(area))); }

inline void cli() { asm volatile("cli" ::: "memory"); }
inline void sti() { asm volatile("sti" ::: "memory"); }
inline void hlt() { asm volatile("hlt" ::: "memory"); }
// Enables interrupts and halts atomically (STI's one-instruction shadow), so
// a wake-up interrupt cannot slip in between and be missed.
inline void sti_hlt() { asm volatile("sti; hlt" ::: "memory"); }

[[noreturn]] inline void halt_forever() {
    for (;;) {
        cli();
        hlt();
    }
}

inline u64 read_rbp() {
    u64 v;
    asm volatile("mov %%rbp, %0" : "=r"(v));
    return v;
}

inline constexpr u32 kMsrEfer = 0xC0000080;
inline constexpr u32 kMsrGsBase = 0xC0000101;
inline constexpr u32 kMsrApicBase = 0x1B;

}  // namespace mk::x86
