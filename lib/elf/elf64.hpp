// ELF64 executable parsing for loading user domains (the CPU driver loads
// each core's monitor, the monitor loads services). Pure validation: every
// header field is checked against the file before it is used, and images
// that would break the loader's rules are refused with a named error:
// writable-and-executable segments (W^X), segments outside the user half,
// overlapping segments, an entry point outside executable code.
#pragma once

#include "base/result.hpp"
#include "base/span.hpp"

namespace mk::elf {

struct Segment {
    u64 vaddr;
    u64 memsz;
    u64 file_offset;
    u64 filesz;
    bool write;
    bool exec;
};

struct Image {
    static constexpr usize kMaxSegments = 8;
    u64 entry = 0;
    Segment segments[kMaxSegments] = {};
    usize segment_count = 0;
};

// Parses `file` as a static x86-64 ELF executable whose loadable segments
// lie in [kUserMin, user_limit).
Status parse(Bytes file, u64 user_limit, Image& out);

inline constexpr u64 kUserMin = 0x1000;  // page 0 stays unmapped: null dereferences fault

}  // namespace mk::elf
