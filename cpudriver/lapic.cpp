// xAPIC register access; see lapic.hpp.
#include "lapic.hpp"

#include "base/atomic.hpp"
#include "layout.h"
#include "traps.hpp"
#include "tsc.hpp"

namespace mk::lapic {
namespace {

enum Reg : u32 {
    kId = 0x20,
    kTpr = 0x80,
    kEoi = 0xB0,
    kSvr = 0xF0,
    kEsr = 0x280,
    kIcrLow = 0x300,
    kIcrHigh = 0x310,
    kLvtTimer = 0x320,
    kTimerInitial = 0x380,
    kTimerCurrent = 0x390,
    kTimerDivide = 0x3E0,
};

// Written once by the BSP before other cores start; read-only afterwards.
volatile u32* g_regs = nullptr;

u32 read(Reg r) { return g_regs[r / 4]; }
void write(Reg r, u32 v) { g_regs[r / 4] = v; }

bool wait_idle() {
    // ICR bit 12: delivery pending.
    for (int i = 0; i < 1000000; ++i) {
        if ((read(kIcrLow) & (1u << 12)) == 0) return true;
        cpu_relax();
    }
    return false;
}

bool send(u32 apic_id, u32 low) {
    if (!wait_idle()) return false;
    write(kEsr, 0);
    write(kIcrHigh, apic_id << 24);
    write(kIcrLow, low);
    return wait_idle();
}

}  // namespace

void set_base(PhysAddr base) { g_regs = reinterpret_cast<volatile u32*>(DIRECT_MAP_BASE + base); }

void enable() {
    write(kTpr, 0);
    write(kSvr, 0x100 | kVectorSpurious);  // bit 8: APIC software enable
}

u32 id() { return read(kId) >> 24; }

void eoi() { write(kEoi, 0); }

bool send_init(u32 apic_id) {
    // INIT, level assert; then the de-assert that old APICs require (SDM 3A, 9.4.4.1).
    if (!send(apic_id, 0x4500)) return false;
    return send(apic_id, 0x8500);
}

bool send_startup(u32 apic_id, u8 vector_page) { return send(apic_id, 0x4600u | vector_page); }

bool send_fixed(u32 apic_id, u8 vector) { return send(apic_id, 0x4000u | vector); }

u32 measure_timer(u64 tsc_cycles) {
    write(kTimerDivide, 0x3);        // divide by 16
    write(kLvtTimer, 1u << 16);      // masked, one-shot
    write(kTimerInitial, 0xFFFFFFFF);
    tsc::spin_cycles(tsc_cycles);
    u32 elapsed = 0xFFFFFFFF - read(kTimerCurrent);
    write(kTimerInitial, 0);
    return elapsed;
}

void start_periodic_timer(u32 count) {
    write(kTimerDivide, 0x3);
    write(kLvtTimer, (1u << 17) | kVectorTimer);  // periodic
    write(kTimerInitial, count == 0 ? 1 : count);
}

}  // namespace mk::lapic
