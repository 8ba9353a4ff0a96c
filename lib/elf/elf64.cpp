// ELF64 validation; see elf64.hpp. Field offsets follow the System V ABI
// (gABI "ELF Header" and "Program Header"), AMD64 supplement.
#include "elf/elf64.hpp"

#include "base/string.hpp"

namespace mk::elf {
namespace {

constexpr u16 kTypeExec = 2;
constexpr u16 kMachineX86_64 = 62;
constexpr u32 kPtLoad = 1;
constexpr u32 kFlagX = 1, kFlagW = 2;

bool overlaps(const Segment& a, const Segment& b) {
    u64 a0 = align_down(a.vaddr, kPageSize), a1 = align_up(a.vaddr + a.memsz, kPageSize);
    u64 b0 = align_down(b.vaddr, kPageSize), b1 = align_up(b.vaddr + b.memsz, kPageSize);
    return a0 < b1 && b0 < a1;
}

}  // namespace

Status parse(Bytes file, u64 user_limit, Image& out) {
    out = Image{};
    const u8* f = file.data();
    if (file.size() < 64) return Error::Truncated;
    if (!mem_eq(f, "\x7f" "ELF", 4)) return Error::BadMagic;
    if (f[4] != 2 || f[5] != 1 || f[6] != 1) return Error::Unsupported;  // 64-bit, little endian, version 1
    if (load_le<u16>(f + 16) != kTypeExec || load_le<u16>(f + 18) != kMachineX86_64) return Error::Unsupported;
    u64 entry = load_le<u64>(f + 24);
    u64 phoff = load_le<u64>(f + 32);
    u16 phentsize = load_le<u16>(f + 54);
    u16 phnum = load_le<u16>(f + 56);
    if (phentsize < 56) return Error::InvalidArgument;
    if (!file.contains_range(phoff, u64{phnum} * phentsize)) return Error::Truncated;

    bool entry_ok = false;
    for (u16 i = 0; i < phnum; ++i) {
        const u8* ph = f + phoff + u64{i} * phentsize;
        if (load_le<u32>(ph) != kPtLoad) continue;
        u32 flags = load_le<u32>(ph + 4);
        Segment s{load_le<u64>(ph + 16), load_le<u64>(ph + 40), load_le<u64>(ph + 8), load_le<u64>(ph + 32),
                  (flags & kFlagW) != 0, (flags & kFlagX) != 0};
        if (s.memsz == 0) continue;
        if (s.write && s.exec) return Error::Unsupported;  // W^X
        if (s.filesz > s.memsz) return Error::InvalidArgument;
        if (!file.contains_range(s.file_offset, s.filesz)) return Error::Truncated;
        if (s.vaddr < kUserMin || s.memsz > user_limit || s.vaddr > user_limit - s.memsz) return Error::OutOfRange;
        if (s.vaddr % kPageSize != s.file_offset % kPageSize) return Error::InvalidArgument;
        for (usize k = 0; k < out.segment_count; ++k) {
            if (overlaps(s, out.segments[k])) return Error::Overlap;
        }
        if (out.segment_count == Image::kMaxSegments) return Error::Full;
        out.segments[out.segment_count++] = s;
        if (s.exec && entry >= s.vaddr && entry < s.vaddr + s.memsz) entry_ok = true;
    }
    if (out.segment_count == 0) return Error::NotFound;
    if (!entry_ok) return Error::InvalidArgument;
    out.entry = entry;
    return {};
}

}  // namespace mk::elf
