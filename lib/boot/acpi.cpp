// ACPI table walking for core discovery; see acpi.hpp.
#include "boot/acpi.hpp"

#include "base/string.hpp"

namespace mk::boot {
namespace {

constexpr usize kHeaderSize = 36;  // the common System Description Table header

// Returns the table at addr once its header, length and checksum check out.
Result<const u8*> map_table(const PhysView& mem, PhysAddr addr, const char* signature) {
    const u8* head = mem.at(addr, kHeaderSize);
    if (head == nullptr) return Error::OutOfRange;
    if (signature != nullptr && !mem_eq(head, signature, 4)) return Error::BadMagic;
    u32 length = load_le<u32>(head + 4);
    if (length < kHeaderSize) return Error::Truncated;
    const u8* table = mem.at(addr, length);
    if (table == nullptr) return Error::OutOfRange;
    if (acpi_checksum(table, length) != 0) return Error::BadChecksum;
    return table;
}

bool valid_rsdp_at(const u8* p, usize available) {
    if (available < 20 || !mem_eq(p, "RSD PTR ", 8)) return false;
    if (acpi_checksum(p, 20) != 0) return false;
    if (p[15] >= 2) {
        if (available < 36) return false;
        u32 length = load_le<u32>(p + 20);
        if (length < 36 || length > available) return false;
        if (acpi_checksum(p, length) != 0) return false;
    }
    return true;
}

Status parse_madt(const u8* madt, MadtInfo& out) {
    u32 length = load_le<u32>(madt + 4);
    if (length < kHeaderSize + 8) return Error::Truncated;
    out.lapic_base = load_le<u32>(madt + kHeaderSize);
    for (u32 off = kHeaderSize + 8; off + 2 <= length;) {
        u8 type = madt[off];
        u8 size = madt[off + 1];
        if (size < 2 || size > length - off) return Error::Truncated;
        const u8* e = madt + off;
        u32 apic_id = 0;
        u32 uid = 0;
        u32 flags = 0;
        bool is_cpu = false;
        if (type == 0) {  // Processor Local APIC
            if (size < 8) return Error::Truncated;
            uid = e[2];
            apic_id = e[3];
            flags = load_le<u32>(e + 4);
            is_cpu = true;
        } else if (type == 9) {  // Processor Local x2APIC
            if (size < 16) return Error::Truncated;
            apic_id = load_le<u32>(e + 4);
            flags = load_le<u32>(e + 8);
            uid = load_le<u32>(e + 12);
            is_cpu = true;
        } else if (type == 5) {  // Local APIC Address Override
            if (size < 12) return Error::Truncated;
            out.lapic_base = load_le<u64>(e + 4);
        } else if (type == 1) {  // I/O APIC
            if (size < 12) return Error::Truncated;
            if (out.ioapic_count < MadtInfo::kMaxIoApics) {
                out.ioapics[out.ioapic_count++] = {e[2], load_le<u32>(e + 4), load_le<u32>(e + 8)};
            }
        } else if (type == 2) {  // Interrupt Source Override (bus 0 = ISA)
            if (size < 10) return Error::Truncated;
            if (e[2] == 0 && e[3] < MadtInfo::kIsaLines) out.isa[e[3]] = {load_le<u32>(e + 4), load_le<u16>(e + 8)};
        }
        // Flags bit 0: enabled; bit 1: online capable (may be enabled later).
        if (is_cpu && (flags & 3u) != 0) {
            if (out.cpu_count < MadtInfo::kMaxCpus) {
                out.cpus[out.cpu_count++] = {apic_id, uid};
            } else {
                ++out.cpus_ignored;
            }
        }
        off += size;
    }
    if (out.cpu_count == 0) return Error::NotFound;
    return {};
}

}  // namespace

u8 acpi_checksum(const u8* p, usize n) {
    u8 sum = 0;
    for (usize i = 0; i < n; ++i) sum = static_cast<u8>(sum + p[i]);
    return sum;
}

Result<PhysAddr> find_rsdp_in_bios(const PhysView& mem) {
    // The EBDA segment is stored at 0x40E (BDA); search its first KiB first.
    PhysAddr areas[2][2] = {{0, 0}, {0xE0000, 0x100000}};
    if (const u8* bda = mem.at(0x40E, 2)) {
        PhysAddr ebda = PhysAddr{load_le<u16>(bda)} << 4;
        if (ebda >= 0x80000 && ebda < 0xA0000) {
            areas[0][0] = ebda;
            areas[0][1] = ebda + 1024;
        }
    }
    for (auto& area : areas) {
        for (PhysAddr a = area[0]; a + 20 <= area[1]; a += 16) {
            const u8* p = mem.at(a, 20);
            if (p == nullptr) break;
            const u8* full = mem.at(a, 36);
            if (valid_rsdp_at(p, full != nullptr ? 36 : 20)) return a;
        }
    }
    return Error::NotFound;
}

Status parse_madt_from_rsdp(const PhysView& mem, const u8* rsdp, usize rsdp_length, MadtInfo& out) {
    out = MadtInfo{};
    if (rsdp_length < 20 || !mem_eq(rsdp, "RSD PTR ", 8)) return Error::BadMagic;
    if (!valid_rsdp_at(rsdp, rsdp_length)) return Error::BadChecksum;
    u8 revision = rsdp[15];
    u64 xsdt = revision >= 2 ? load_le<u64>(rsdp + 24) : 0;
    u32 rsdt = load_le<u32>(rsdp + 16);

    const u8* root = nullptr;
    usize entry_size = 4;
    if (xsdt != 0) {
        root = TRY(map_table(mem, xsdt, "XSDT"));
        entry_size = 8;
        out.used_xsdt = true;
    } else if (rsdt != 0) {
        root = TRY(map_table(mem, rsdt, "RSDT"));
    } else {
        return Error::NotFound;
    }
    u32 length = load_le<u32>(root + 4);
    for (u32 off = kHeaderSize; off + entry_size <= length; off += static_cast<u32>(entry_size)) {
        PhysAddr addr = entry_size == 8 ? load_le<u64>(root + off) : load_le<u32>(root + off);
        const u8* head = mem.at(addr, 4);
        if (head == nullptr || !mem_eq(head, "APIC", 4)) continue;
        const u8* madt = TRY(map_table(mem, addr, "APIC"));
        return parse_madt(madt, out);
    }
    return Error::NotFound;
}

}  // namespace mk::boot
