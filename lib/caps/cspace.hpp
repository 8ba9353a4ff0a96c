// CSpace addressing: how a domain names its capabilities. A CSpace has two
// levels, as in Barrelfish: the root (L1) CNode's slots hold L2 CNodes of up
// to 256 slots, and a 32-bit capability address is L1 index << 8 | L2 index.
// Resolution checks every step and never follows more than two CNodes, so
// its cost is constant and no CSpace shape can make it loop.
#pragma once

#include "base/result.hpp"
#include "caps/table.hpp"

namespace mk::caps {

using CapAddr = u32;

inline constexpr u32 kL2Bits = 8;
inline constexpr u64 kL2Slots = u64(1) << kL2Bits;
// The root CNode can have at most this many slots (the L1 index is 24 bits).
inline constexpr u64 kL1MaxSlots = u64(1) << (32 - kL2Bits);

constexpr CapAddr cap_addr(u32 l1, u32 l2) { return (l1 << kL2Bits) | (l2 & (kL2Slots - 1)); }
constexpr u32 l1_index(CapAddr a) { return a >> kL2Bits; }
constexpr u32 l2_index(CapAddr a) { return a & (kL2Slots - 1); }

// How deep to resolve: L1 names a slot of the root CNode (its L2 bits must be
// zero), L2 a slot of an L2 CNode.
enum class Level : u8 { L1 = 1, L2 = 2 };

// The slot `addr` names in the CSpace rooted at the CNode capability in
// `root`. The slot may be empty. Errors: InvalidCap (an empty root or L1
// slot), WrongType (not a CNode where one must be), OutOfRange (an index
// past a CNode's end), InvalidArgument (L2 bits set at Level::L1).
Result<Cte*> lookup(const CapTable& table, const Cte& root, CapAddr addr, Level level = Level::L2);

// As lookup, but the slot must hold a capability, of `type` unless that is
// Null. Additional errors: InvalidCap (empty slot), WrongType.
Result<Cte*> lookup_cap(const CapTable& table, const Cte& root, CapAddr addr, CapType type,
                        Level level = Level::L2);

}  // namespace mk::caps
