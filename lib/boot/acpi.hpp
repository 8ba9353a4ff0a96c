// ACPI discovery of the cores: RSDP -> RSDT or XSDT -> MADT (ACPI 6.4,
// sections 5.2.5 to 5.2.12). Every table's signature, length and checksum is
// verified before a field of it is trusted.
#pragma once

#include "base/result.hpp"
#include "boot/boot_info.hpp"

namespace mk::boot {

struct CpuEntry {
    u32 apic_id;
    u32 acpi_uid;
};

struct IoApicEntry {
    u32 id;
    PhysAddr address;
    u32 gsi_base;  // the first global system interrupt it serves
};

// Where an ISA interrupt line arrives: its global system interrupt and the
// MPS INTI flags (bits 0-1 polarity, 2-3 trigger mode; 0 = the bus default,
// for ISA active high and edge triggered).
struct IsaRoute {
    u32 gsi;
    u16 flags;
};

struct MadtInfo {
    static constexpr usize kMaxCpus = 64;
    static constexpr usize kMaxIoApics = 8;
    static constexpr usize kIsaLines = 16;
    PhysAddr lapic_base = 0;
    CpuEntry cpus[kMaxCpus] = {};
    usize cpu_count = 0;
    usize cpus_ignored = 0;  // enabled entries beyond kMaxCpus
    IoApicEntry ioapics[kMaxIoApics] = {};
    usize ioapic_count = 0;
    // ISA line i: identity-mapped unless an Interrupt Source Override says otherwise.
    IsaRoute isa[kIsaLines] = {{0, 0}, {1, 0}, {2, 0},  {3, 0},  {4, 0},  {5, 0},  {6, 0},  {7, 0},
                               {8, 0}, {9, 0}, {10, 0}, {11, 0}, {12, 0}, {13, 0}, {14, 0}, {15, 0}};
    bool used_xsdt = false;
};

// Looks for the RSDP where the BIOS leaves it: the first KiB of the EBDA and
// 0xE0000..0xFFFFF, on 16-byte boundaries. Returns its physical address.
Result<PhysAddr> find_rsdp_in_bios(const PhysView& mem);

// Checks an RSDP (a copy or in place) and parses the MADT it leads to. Only
// enabled (or online-capable) processors are listed, in MADT order, which
// puts the bootstrap processor first on the machines we target.
Status parse_madt_from_rsdp(const PhysView& mem, const u8* rsdp, usize rsdp_length, MadtInfo& out);

// The byte-sum that every ACPI structure must make zero.
u8 acpi_checksum(const u8* p, usize n);

}  // namespace mk::boot
