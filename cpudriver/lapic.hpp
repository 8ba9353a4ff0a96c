// The local APIC in xAPIC mode, through its MMIO registers (SDM 3A, ch. 11).
// TCG has no x2APIC, and xAPIC works everywhere we run. Each core programs
// only its own local APIC; the register page is at the same physical address
// on every core but each core's accesses reach its own APIC.
#pragma once

#include "base/types.hpp"

namespace mk::lapic {

// Records where the registers are (the BSP calls this before any AP starts).
void set_base(PhysAddr base);
// Software-enables this core's APIC with the spurious vector, accepts all priorities.
void enable();
u32 id();
void eoi();

// Inter-processor interrupts. Each returns false if the APIC did not accept
// the previous IPI in time (delivery status stuck).
bool send_init(u32 apic_id);
bool send_startup(u32 apic_id, u8 vector_page);
bool send_fixed(u32 apic_id, u8 vector);

// Timer ticks (divide by 16) that elapse during `tsc_cycles` of the TSC.
u32 measure_timer(u64 tsc_cycles);
// Periodic timer interrupts on kVectorTimer every `count` ticks (divide by 16).
void start_periodic_timer(u32 count);

}  // namespace mk::lapic
