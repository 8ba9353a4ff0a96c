// What the CPU driver learns from its boot loader, in one loader-neutral
// structure: the Multiboot1 and Multiboot2 parsers both fill a BootInfo,
// and everything after them reads only this copy (the loader's own tables
// live in low memory that is reused later).
#pragma once

#include "base/result.hpp"
#include "base/span.hpp"
#include "base/types.hpp"

namespace mk::boot {

enum class MemoryType : u8 { Usable, Reserved, AcpiReclaimable, AcpiNvs, Bad };

struct MemoryRegion {
    PhysAddr base;
    u64 length;
    MemoryType type;
};

struct Module {
    PhysAddr start;
    PhysAddr end;  // exclusive
    char name[64];
};

enum class Protocol : u8 { Multiboot1, Multiboot2 };

struct BootInfo {
    static constexpr usize kMaxRegions = 64;
    static constexpr usize kMaxModules = 16;
    static constexpr usize kRsdpMax = 36;

    Protocol protocol = Protocol::Multiboot2;
    char cmdline[256] = {};
    char loader_name[64] = {};
    MemoryRegion regions[kMaxRegions] = {};
    usize region_count = 0;
    Module modules[kMaxModules] = {};
    usize module_count = 0;
    // A copy of the ACPI RSDP (Multiboot2 hands over a copy, not an address);
    // empty when the loader gave none and it must be found in the BIOS area.
    u8 rsdp[kRsdpMax] = {};
    usize rsdp_length = 0;
    // Where the loader's information structure itself lies, so it can be kept
    // out of the free memory until it has been parsed.
    PhysAddr info_start = 0;
    PhysAddr info_end = 0;

    u64 usable_bytes() const;
};

// True when the module's first word, without directories and extension, is
// `name`: "monitor", "/boot/monitor.elf arg" and "build/monitor/monitor.elf"
// all name the monitor (GRUB passes what grub.cfg says, QEMU the file path).
bool module_is(const Module& m, const char* name);
const Module* find_module(const BootInfo& info, const char* name);

// A read-only window onto physical memory: [base, base + size) is readable
// at data. The CPU driver passes its direct map; tests pass a buffer.
class PhysView {
public:
    PhysView(PhysAddr base, const u8* data, u64 size) : base_(base), data_(data), size_(size) {}
    // A pointer to [addr, addr + len), or nullptr when any byte of it lies outside.
    const u8* at(PhysAddr addr, u64 len) const;

private:
    PhysAddr base_;
    const u8* data_;
    u64 size_;
};

inline constexpr u32 kMultiboot1Magic = 0x2BADB002;  // in EAX from a Multiboot1 loader
inline constexpr u32 kMultiboot2Magic = 0x36D76289;  // in EAX from a Multiboot2 loader

// Parse the Multiboot2 information structure at info_phys.
Status parse_multiboot2(const PhysView& mem, PhysAddr info_phys, BootInfo& out);
// Parse the Multiboot1 information structure at info_phys.
Status parse_multiboot1(const PhysView& mem, PhysAddr info_phys, BootInfo& out);
// Dispatch on the magic value the loader left in EAX.
Status parse_boot_info(const PhysView& mem, u32 magic, PhysAddr info_phys, BootInfo& out);

}  // namespace mk::boot
