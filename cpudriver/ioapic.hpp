// The I/O APIC that receives the ISA interrupt lines (82093AA datasheet;
// ACPI MADT types 1 and 2). It is a device every core could reach, so one
// owner is fixed: only core 0's CPU driver programs it, on behalf of the IRQ
// capabilities its monitor holds (docs/capabilities.md, "IRQ lines").
#pragma once

#include "base/result.hpp"
#include "boot/acpi.hpp"

namespace mk::ioapic {

inline constexpr u32 kIsaLines = boot::MadtInfo::kIsaLines;
// ISA line n arrives on vector kFirstVector + n.
inline constexpr u8 kFirstVector = 48;

// Finds the I/O APIC serving the ISA lines and masks all of its inputs. The
// BSP calls it before any other core starts. False: no usable I/O APIC.
bool init(const boot::MadtInfo& madt);
bool present();

// Routes ISA line `line` to the local APIC `apic_id` on its vector, with
// the polarity and trigger mode the MADT gives it, masked or not.
Status route(u32 line, u32 apic_id, bool masked);
Status set_masked(u32 line, bool masked);

}  // namespace mk::ioapic
