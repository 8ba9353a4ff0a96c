// The invariant checker for one core's capability table, for tests, the
// deterministic simulation and debug builds of the CPU driver. It walks the
// whole derivation tree (iteratively, with a step budget so corrupted links
// cannot make it loop) and, optionally, slot arrays that must agree with it.
#pragma once

#include "base/span.hpp"
#include "caps/table.hpp"

namespace mk::caps {

struct VerifyReport {
    const char* problem = nullptr;  // null when every invariant holds
    const Cte* where = nullptr;     // the slot at fault
    u64 caps_in_tree = 0;
    u64 caps_in_slots = 0;
    bool ok() const { return problem == nullptr; }
};

// Checks (docs/capabilities.md, "Invariants"):
//  - every node of the tree holds a well-formed, non-Null capability;
//  - links agree: prev/next mirror each other, siblings share a parent, the
//    first sibling is its parent's first child, only group heads have
//    children and only group heads are parents;
//  - siblings are sorted by extent, copies adjacent with equal remote
//    flags, and distinct siblings do not overlap;
//  - every child lies inside its parent and may be derived from it
//    (can_retype; a same-type child strictly smaller);
//  - every capability in `slots` is linked into the tree, every empty slot
//    has no links, and with `complete` the tree holds exactly the
//    capabilities found in `slots`.
// `budget` bounds the steps taken (a corrupted tree may contain a cycle).
VerifyReport verify(const CapTable& table, Span<const Span<const Cte>> slots = {}, bool complete = false,
                    u64 budget = u64(1) << 24);

}  // namespace mk::caps
