// Multiboot1 and Multiboot2 information parsers (Multiboot specification
// 0.6.96 section 3.3; Multiboot2 specification 1.0 section 3.6). Every
// length and address is checked against the window before it is read, so a
// malformed structure yields an error instead of a wild read.
#include "base/string.hpp"
#include "boot/boot_info.hpp"

namespace mk::boot {
namespace {

MemoryType memory_type_from_e820(u32 type) {
    switch (type) {
        case 1: return MemoryType::Usable;
        case 3: return MemoryType::AcpiReclaimable;
        case 4: return MemoryType::AcpiNvs;
        case 5: return MemoryType::Bad;
        default: return MemoryType::Reserved;
    }
}

Status add_region(BootInfo& out, u64 base, u64 length, u32 e820_type) {
    if (length == 0) return {};
    if (out.region_count == BootInfo::kMaxRegions) return Error::Full;
    out.regions[out.region_count++] = {base, length, memory_type_from_e820(e820_type)};
    return {};
}

// Copies a NUL-terminated string that must end within [p, p + max).
Status copy_bounded_string(const u8* p, u64 max, char* dst, usize cap) {
    usize n = str_nlen(reinterpret_cast<const char*>(p), static_cast<usize>(max));
    if (n == max) return Error::Truncated;
    str_copy(dst, reinterpret_cast<const char*>(p), cap);
    return {};
}

// A string somewhere in physical memory (Multiboot1 passes addresses): read
// it byte by byte through the window, up to the destination's capacity.
Status copy_phys_string(const PhysView& mem, PhysAddr addr, char* dst, usize cap) {
    for (usize i = 0; i + 1 < cap; ++i) {
        const u8* c = mem.at(addr + i, 1);
        if (c == nullptr) return Error::OutOfRange;
        dst[i] = static_cast<char>(*c);
        if (*c == 0) return {};
    }
    dst[cap - 1] = '\0';
    return {};
}

Status parse_mb2_module(const u8* tag, u32 size, BootInfo& out) {
    if (size < 17) return Error::Truncated;
    if (out.module_count == BootInfo::kMaxModules) return Error::Full;
    Module& m = out.modules[out.module_count];
    m.start = load_le<u32>(tag + 8);
    m.end = load_le<u32>(tag + 12);
    if (m.end < m.start) return Error::InvalidArgument;
    TRY_STATUS(copy_bounded_string(tag + 16, size - 16, m.name, sizeof m.name));
    ++out.module_count;
    return {};
}

Status parse_mb2_mmap(const u8* tag, u32 size, BootInfo& out) {
    if (size < 16) return Error::Truncated;
    u32 entry_size = load_le<u32>(tag + 8);
    if (entry_size < 24 || entry_size % 8 != 0) return Error::InvalidArgument;
    for (u32 off = 16; off + entry_size <= size; off += entry_size) {
        const u8* e = tag + off;
        TRY_STATUS(add_region(out, load_le<u64>(e), load_le<u64>(e + 8), load_le<u32>(e + 16)));
    }
    return {};
}

Status copy_rsdp(const u8* tag, u32 size, BootInfo& out) {
    usize n = size - 8;
    if (n < 20) return Error::Truncated;
    if (n > BootInfo::kRsdpMax) n = BootInfo::kRsdpMax;
    for (usize i = 0; i < n; ++i) out.rsdp[i] = tag[8 + i];
    out.rsdp_length = n;
    return {};
}

}  // namespace

const u8* PhysView::at(PhysAddr addr, u64 len) const {
    if (addr < base_ || len > size_) return nullptr;
    u64 off = addr - base_;
    if (off > size_ - len) return nullptr;
    return data_ + off;
}

bool module_is(const Module& m, const char* name) {
    const char* word = m.name;
    const char* end = word;
    while (*end != '\0' && *end != ' ') ++end;
    const char* base = word;
    for (const char* p = word; p < end; ++p) {
        if (*p == '/') base = p + 1;
    }
    const char* dot = end;
    for (const char* p = base; p < end; ++p) {
        if (*p == '.') {
            dot = p;
            break;
        }
    }
    usize n = str_len(name);
    return static_cast<usize>(dot - base) == n && mem_eq(base, name, n);
}

const Module* find_module(const BootInfo& info, const char* name) {
    for (usize i = 0; i < info.module_count; ++i) {
        if (module_is(info.modules[i], name)) return &info.modules[i];
    }
    return nullptr;
}

u64 BootInfo::usable_bytes() const {
    u64 sum = 0;
    for (usize i = 0; i < region_count; ++i) {
        if (regions[i].type == MemoryType::Usable) sum += regions[i].length;
    }
    return sum;
}

Status parse_multiboot2(const PhysView& mem, PhysAddr info_phys, BootInfo& out) {
    out = BootInfo{};
    out.protocol = Protocol::Multiboot2;
    if (info_phys % 8 != 0) return Error::InvalidArgument;
    const u8* head = mem.at(info_phys, 8);
    if (head == nullptr) return Error::OutOfRange;
    u32 total = load_le<u32>(head);
    if (total < 16) return Error::Truncated;
    const u8* info = mem.at(info_phys, total);
    if (info == nullptr) return Error::OutOfRange;
    out.info_start = info_phys;
    out.info_end = info_phys + total;

    bool saw_end = false;
    for (u32 off = 8; off + 8 <= total;) {
        const u8* tag = info + off;
        u32 type = load_le<u32>(tag);
        u32 size = load_le<u32>(tag + 4);
        if (size < 8 || size > total - off) return Error::Truncated;
        switch (type) {
            case 0: saw_end = true; break;
            case 1: TRY_STATUS(copy_bounded_string(tag + 8, size - 8, out.cmdline, sizeof out.cmdline)); break;
            case 2:
                TRY_STATUS(copy_bounded_string(tag + 8, size - 8, out.loader_name, sizeof out.loader_name));
                break;
            case 3: TRY_STATUS(parse_mb2_module(tag, size, out)); break;
            case 6: TRY_STATUS(parse_mb2_mmap(tag, size, out)); break;
            case 14:
                // An old (ACPI 1.0) RSDP; a new one (tag 15) takes precedence.
                if (out.rsdp_length == 0) TRY_STATUS(copy_rsdp(tag, size, out));
                break;
            case 15: TRY_STATUS(copy_rsdp(tag, size, out)); break;
            default: break;  // tags we do not need (framebuffer, EFI, ...) are skipped
        }
        if (saw_end) break;
        off += static_cast<u32>(align_up(size, 8));
    }
    if (!saw_end) return Error::Truncated;
    return {};
}

Status parse_multiboot1(const PhysView& mem, PhysAddr info_phys, BootInfo& out) {
    out = BootInfo{};
    out.protocol = Protocol::Multiboot1;
    constexpr u64 kInfoSize = 88;
    const u8* info = mem.at(info_phys, kInfoSize);
    if (info == nullptr) return Error::OutOfRange;
    out.info_start = info_phys;
    out.info_end = info_phys + kInfoSize;
    u32 flags = load_le<u32>(info);

    if (flags & (1u << 2)) TRY_STATUS(copy_phys_string(mem, load_le<u32>(info + 16), out.cmdline, sizeof out.cmdline));
    if (flags & (1u << 9)) {
        TRY_STATUS(copy_phys_string(mem, load_le<u32>(info + 64), out.loader_name, sizeof out.loader_name));
    }
    if (flags & (1u << 3)) {
        u32 count = load_le<u32>(info + 20);
        u32 addr = load_le<u32>(info + 24);
        if (count > BootInfo::kMaxModules) return Error::Full;
        const u8* mods = mem.at(addr, u64{count} * 16);
        if (mods == nullptr && count != 0) return Error::OutOfRange;
        for (u32 i = 0; i < count; ++i) {
            Module& m = out.modules[out.module_count];
            m.start = load_le<u32>(mods + i * 16);
            m.end = load_le<u32>(mods + i * 16 + 4);
            if (m.end < m.start) return Error::InvalidArgument;
            TRY_STATUS(copy_phys_string(mem, load_le<u32>(mods + i * 16 + 8), m.name, sizeof m.name));
            ++out.module_count;
        }
    }
    if (flags & (1u << 6)) {
        u32 length = load_le<u32>(info + 44);
        u32 addr = load_le<u32>(info + 48);
        const u8* map = mem.at(addr, length);
        if (map == nullptr) return Error::OutOfRange;
        // Each entry starts with its own size, which excludes the size field itself.
        for (u32 off = 0; off + 4 <= length;) {
            u32 size = load_le<u32>(map + off);
            if (size < 20 || size > length - off - 4) return Error::Truncated;
            const u8* e = map + off + 4;
            TRY_STATUS(add_region(out, load_le<u64>(e), load_le<u64>(e + 8), load_le<u32>(e + 16)));
            off += size + 4;
        }
    } else if (flags & 1u) {
        // No map: fall back to the basic lower/upper memory sizes (in KiB).
        TRY_STATUS(add_region(out, 0, u64{load_le<u32>(info + 4)} * 1024, 1));
        TRY_STATUS(add_region(out, 0x100000, u64{load_le<u32>(info + 8)} * 1024, 1));
    } else {
        return Error::NotFound;
    }
    return {};
}

Status parse_boot_info(const PhysView& mem, u32 magic, PhysAddr info_phys, BootInfo& out) {
    if (magic == kMultiboot2Magic) return parse_multiboot2(mem, info_phys, out);
    if (magic == kMultiboot1Magic) return parse_multiboot1(mem, info_phys, out);
    return Error::BadMagic;
}

}  // namespace mk::boot
