#include <catch2/catch.hpp>

#include <vector>

#include "boot/acpi.hpp"
#include "phys_image.hpp"

using namespace mk;
using namespace mk::boot;
using mk::boot::testing::PhysImage;

namespace {

constexpr PhysAddr kRsdpAt = 0xF5A00;
constexpr PhysAddr kRsdt = 0x7FE0000, kXsdt = 0x7FE0100, kMadt = 0x7FE0200, kFacp = 0x7FE0400;
// The MADT below: header and LAPIC address/flags, four local APICs, an I/O
// APIC, two interrupt source overrides and an x2APIC entry.
constexpr u32 kMadtLength = 44 + 8 * 4 + 12 + 2 * 10 + 16;

// Writes a table header and fixes up the checksum over `length` bytes.
void seal(PhysImage& mem, PhysAddr at, const char* sig, u32 length) {
    mem.put_bytes(at, sig, 4);
    mem.put32(at + 4, length);
    mem.put8(at + 8, 1);
    mem.put8(at + 9, 0);
    mem.put8(at + 9, static_cast<u8>(0 - acpi_checksum(mem.at(at), length)));
}

void write_rsdp(PhysImage& mem, PhysAddr at, u8 revision) {
    mem.put_bytes(at, "RSD PTR ", 8);
    mem.put_bytes(at + 9, "BOCHS ", 6);
    mem.put8(at + 15, revision);
    mem.put32(at + 16, kRsdt);
    mem.put32(at + 20, 36);
    mem.put64(at + 24, revision >= 2 ? kXsdt : 0);
    mem.put8(at + 8, static_cast<u8>(0 - acpi_checksum(mem.at(at), 20)));
    if (revision >= 2) mem.put8(at + 32, static_cast<u8>(0 - acpi_checksum(mem.at(at), 36)));
}

// A machine like QEMU's: RSDT and XSDT list a FACP and a MADT with 4 CPUs,
// one of them disabled, plus an I/O APIC entry and one x2APIC entry.
PhysImage make_machine(u8 revision) {
    PhysImage mem(0, 0x8000000);
    mem.put16(0x40E, 0x9FC0);  // EBDA segment (left empty)
    write_rsdp(mem, kRsdpAt, revision);
    seal(mem, kFacp, "FACP", 36);
    // RSDT: 32-bit pointers.
    mem.put32(kRsdt + 36, kFacp);
    mem.put32(kRsdt + 40, kMadt);
    seal(mem, kRsdt, "RSDT", 44);
    // XSDT: 64-bit pointers.
    mem.put64(kXsdt + 36, kFacp);
    mem.put64(kXsdt + 44, kMadt);
    seal(mem, kXsdt, "XSDT", 52);
    // MADT: header, LAPIC address, flags, entries.
    PhysAddr e = kMadt + 44;
    mem.put32(kMadt + 36, 0xFEE00000);
    mem.put32(kMadt + 40, 1);
    auto lapic = [&](u8 uid, u8 id, u32 flags) {
        mem.put8(e, 0);
        mem.put8(e + 1, 8);
        mem.put8(e + 2, uid);
        mem.put8(e + 3, id);
        mem.put32(e + 4, flags);
        e += 8;
    };
    lapic(0, 0, 1);
    lapic(1, 1, 1);
    lapic(2, 2, 0);  // disabled and not online capable: not a usable core
    mem.put8(e, 1);  // I/O APIC, 12 bytes: id 5 at 0xFEC00000 from GSI 0
    mem.put8(e + 1, 12);
    mem.put8(e + 2, 5);
    mem.put32(e + 4, 0xFEC00000);
    mem.put32(e + 8, 0);
    e += 12;
    mem.put8(e, 2);  // Interrupt Source Override: ISA IRQ 0 -> GSI 2, bus default flags
    mem.put8(e + 1, 10);
    mem.put8(e + 2, 0);
    mem.put8(e + 3, 0);
    mem.put32(e + 4, 2);
    mem.put16(e + 8, 0);
    e += 10;
    mem.put8(e, 2);  // ISA IRQ 9 -> GSI 9, level triggered, active high (as QEMU's SCI)
    mem.put8(e + 1, 10);
    mem.put8(e + 2, 0);
    mem.put8(e + 3, 9);
    mem.put32(e + 4, 9);
    mem.put16(e + 8, 0xD);
    e += 10;
    lapic(3, 3, 2);  // online capable
    mem.put8(e, 9);  // x2APIC, 16 bytes
    mem.put8(e + 1, 16);
    mem.put32(e + 4, 300);
    mem.put32(e + 8, 1);
    mem.put32(e + 12, 9);
    e += 16;
    seal(mem, kMadt, "APIC", static_cast<u32>(e - kMadt));
    return mem;
}

}  // namespace

TEST_CASE("ACPI: the RSDP is found in the BIOS area and leads to the MADT", "[boot]") {
    for (u8 revision : {0, 2}) {
        auto mem = make_machine(revision);
        auto rsdp = find_rsdp_in_bios(mem.view());
        REQUIRE(rsdp.ok());
        CHECK(*rsdp == kRsdpAt);
        MadtInfo madt;
        REQUIRE(parse_madt_from_rsdp(mem.view(), mem.at(*rsdp), 36, madt).ok());
        CHECK(madt.used_xsdt == (revision >= 2));
        CHECK(madt.lapic_base == 0xFEE00000);
        REQUIRE(madt.cpu_count == 4);
        CHECK(madt.cpus[0].apic_id == 0);
        CHECK(madt.cpus[1].apic_id == 1);
        CHECK(madt.cpus[2].apic_id == 3);
        CHECK(madt.cpus[3].apic_id == 300);
        CHECK(madt.cpus[3].acpi_uid == 9);
        REQUIRE(madt.ioapic_count == 1);
        CHECK(madt.ioapics[0].id == 5);
        CHECK(madt.ioapics[0].address == 0xFEC00000);
        CHECK(madt.ioapics[0].gsi_base == 0);
        CHECK(madt.isa[0].gsi == 2);  // overridden
        CHECK(madt.isa[9].gsi == 9);
        CHECK(madt.isa[9].flags == 0xD);
        CHECK(madt.isa[4].gsi == 4);  // not overridden: identity, bus defaults
        CHECK(madt.isa[4].flags == 0);
    }
}

TEST_CASE("ACPI: damaged tables are rejected with a named error", "[boot]") {
    auto mem = make_machine(2);
    MadtInfo madt;
    auto parse = [&] { return parse_madt_from_rsdp(mem.view(), mem.at(kRsdpAt), 36, madt).error(); };

    SECTION("RSDP signature") {
        mem.put8(kRsdpAt, 'X');
        CHECK(parse() == Error::BadMagic);
        CHECK(find_rsdp_in_bios(mem.view()).error() == Error::NotFound);
    }
    SECTION("RSDP checksum") {
        mem.put8(kRsdpAt + 10, 'Z');
        CHECK(parse() == Error::BadChecksum);
    }
    SECTION("XSDT checksum") {
        mem.put8(kXsdt + 20, 0x55);
        CHECK(parse() == Error::BadChecksum);
    }
    SECTION("XSDT pointing outside memory") {
        mem.put64(kRsdpAt + 24, 0x4000000000);
        mem.put8(kRsdpAt + 32, 0);
        mem.put8(kRsdpAt + 32, static_cast<u8>(0 - acpi_checksum(mem.at(kRsdpAt), 36)));
        CHECK(parse() == Error::OutOfRange);
    }
    SECTION("MADT checksum") {
        mem.put8(kMadt + 50, 0x77);
        CHECK(parse() == Error::BadChecksum);
    }
    SECTION("MADT entry running past the table") {
        mem.put8(kMadt + 44 + 1, 200);
        seal(mem, kMadt, "APIC", kMadtLength);
        CHECK(parse() == Error::Truncated);
    }
    SECTION("MADT entry of length zero") {
        mem.put8(kMadt + 44 + 1, 0);
        seal(mem, kMadt, "APIC", kMadtLength);
        CHECK(parse() == Error::Truncated);
    }
    SECTION("I/O APIC entry too short for its fields") {
        mem.put8(kMadt + 44 + 3 * 8 + 1, 8);  // after three local APIC entries
        seal(mem, kMadt, "APIC", kMadtLength);
        CHECK(parse() == Error::Truncated);
    }
    SECTION("interrupt source override too short for its fields") {
        mem.put8(kMadt + 44 + 3 * 8 + 12 + 1, 6);
        seal(mem, kMadt, "APIC", kMadtLength);
        CHECK(parse() == Error::Truncated);
    }
    SECTION("table length shorter than a header") {
        mem.put32(kMadt + 4, 10);
        CHECK(parse() == Error::Truncated);
    }
    SECTION("no MADT at all") {
        mem.put_bytes(kMadt, "XXXX", 4);
        CHECK(parse() == Error::NotFound);
    }
}
