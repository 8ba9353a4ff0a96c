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

struct MadtInfo {
    static constexpr usize kMaxCpus = 64;
    PhysAddr lapic_base = 0;
    CpuEntry cpus[kMaxCpus] = {};
    usize cpu_count = 0;
    usize cpus_ignored = 0;  // enabled entries beyond kMaxCpus
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
