// Cte: one capability slot (capability table entry) = a Capability plus its
// links in this core's derivation tree. CNodes are arrays of Ctes; the CPU
// driver also embeds Ctes in its own objects. A slot of all-zero bytes is an
// empty slot, so zeroed memory is a valid empty CNode.
//
// The tree (docs/capabilities.md, "Derivation tree"): copies of an object are
// adjacent siblings; the first of them, the group head, holds the object's
// children; siblings are sorted by extent. Links are only changed by CapTable.
#pragma once

#include "caps/capability.hpp"

namespace mk::caps {

class CapTable;
namespace detail {
struct Links;
}

class Cte {
public:
    constexpr Cte() = default;
    // A slot's identity is its address: copying one would duplicate links.
    Cte(const Cte&) = delete;
    Cte& operator=(const Cte&) = delete;

    const Capability& cap() const { return cap_; }
    bool empty() const { return cap_.type == CapType::Null; }

    // Read-only view of the links, for the invariant checker and tests.
    const Cte* parent() const { return parent_; }
    const Cte* first_child() const { return first_child_; }
    const Cte* prev() const { return prev_; }
    const Cte* next() const { return next_; }

private:
    friend class CapTable;
    friend struct detail::Links;

    Capability cap_;
    Cte* parent_ = nullptr;       // head of the parent object's copy group, or the table root
    Cte* first_child_ = nullptr;  // only ever set on a copy-group head
    Cte* prev_ = nullptr;         // previous sibling (smaller or equal extent)
    Cte* next_ = nullptr;         // next sibling
};
// One slot per cache line; CNode sizes are slot counts times this.
static_assert(sizeof(Cte) == kCteBytes);

}  // namespace mk::caps
