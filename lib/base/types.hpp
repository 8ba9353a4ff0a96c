// Fixed-width types and the few compiler facilities every lib/ file needs.
// Only headers that are freestanding in GCC 12 and clang 14 are used in
// guest code: <cstdint>, <cstddef>, <type_traits>, <utility>, <new>,
// <limits>, <concepts>, <bit>. Nothing here allocates or throws.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mk {

using u8 = uint8_t;
using u16 = uint16_t;
using u32 = uint32_t;
using u64 = uint64_t;
using i8 = int8_t;
using i16 = int16_t;
using i32 = int32_t;
using i64 = int64_t;
using usize = size_t;
using uptr = uintptr_t;

// A physical address. Kept distinct from pointers so the two are never mixed
// up silently: the CPU driver reaches physical memory through its direct map.
using PhysAddr = u64;

inline constexpr usize kCacheLine = 64;
inline constexpr usize kPageSize = 4096;

constexpr u64 align_up(u64 v, u64 a) { return (v + a - 1) & ~(a - 1); }
constexpr u64 align_down(u64 v, u64 a) { return v & ~(a - 1); }
constexpr bool is_aligned(u64 v, u64 a) { return (v & (a - 1)) == 0; }

}  // namespace mk
