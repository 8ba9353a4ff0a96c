// See ioapic.hpp. Registers: IOREGSEL at +0 selects, IOWIN at +0x10 reads
// and writes; register 1 holds the version and the last entry's index;
// redirection entry n is registers 0x10 + 2n (low) and 0x11 + 2n (high).
#include "ioapic.hpp"

#include "layout.h"

namespace mk::ioapic {
namespace {

// Written by the BSP before any other core starts; read-only afterwards.
volatile u32* g_regs = nullptr;
u32 g_gsi_base = 0, g_entries = 0;
boot::IsaRoute g_isa[kIsaLines];

u32 read(u32 reg) {
    g_regs[0] = reg;
    return g_regs[4];
}
void write(u32 reg, u32 value) {
    g_regs[0] = reg;
    g_regs[4] = value;
}

constexpr u32 kMasked = 1u << 16, kLevel = 1u << 15, kActiveLow = 1u << 13;

Result<u32> entry_of(u32 line) {
    if (g_regs == nullptr) return Error::NotFound;
    if (line >= kIsaLines) return Error::OutOfRange;
    u32 gsi = g_isa[line].gsi;
    if (gsi < g_gsi_base || gsi - g_gsi_base >= g_entries) return Error::OutOfRange;
    return gsi - g_gsi_base;
}

}  // namespace

bool init(const boot::MadtInfo& madt) {
    for (usize i = 0; i < madt.ioapic_count; ++i) {
        if (madt.ioapics[i].gsi_base != 0 || madt.ioapics[i].address >= DIRECT_MAP_SIZE) continue;
        g_regs = reinterpret_cast<volatile u32*>(DIRECT_MAP_BASE + madt.ioapics[i].address);
        g_gsi_base = madt.ioapics[i].gsi_base;
        g_entries = ((read(1) >> 16) & 0xFF) + 1;
        for (u32 n = 0; n < kIsaLines; ++n) g_isa[n] = madt.isa[n];
        for (u32 e = 0; e < g_entries; ++e) write(0x10 + 2 * e, kMasked);
        return true;
    }
    return false;
}

bool present() { return g_regs != nullptr; }

Status route(u32 line, u32 apic_id, bool masked) {
    u32 e = TRY(entry_of(line));
    u16 flags = g_isa[line].flags;
    // MPS INTI flags: polarity 3 = active low, trigger 3 = level; 0 means
    // the ISA default, active high and edge triggered.
    u32 low = kFirstVector + line;
    if ((flags & 3) == 3) low |= kActiveLow;
    if (((flags >> 2) & 3) == 3) low |= kLevel;
    if (masked) low |= kMasked;
    write(0x10 + 2 * e, kMasked);  // never half-programmed while unmasked
    write(0x11 + 2 * e, apic_id << 24);
    write(0x10 + 2 * e, low);
    return {};
}

Status set_masked(u32 line, bool masked) {
    u32 e = TRY(entry_of(line));
    u32 low = read(0x10 + 2 * e);
    write(0x10 + 2 * e, masked ? (low | kMasked) : (low & ~kMasked));
    return {};
}

}  // namespace mk::ioapic
