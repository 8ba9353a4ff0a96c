// Derivation-tree primitives shared by the CapTable operations (internal to
// lib/caps; tests include it to corrupt links on purpose). Every function is
// O(1) unless its comment says otherwise, and none checks anything: callers
// have validated their arguments before the first link changes.
//
// Shape: siblings form a doubly linked list sorted by (space, begin);
// copies of one object are adjacent and the first copy (the group head)
// holds the object's children, whose parent link points at that head.
#pragma once

#include "caps/cte.hpp"

namespace mk::caps::detail {

struct Links {
    static Capability& cap(Cte& c) { return c.cap_; }
    static Cte*& parent(Cte& c) { return c.parent_; }
    static Cte*& first_child(Cte& c) { return c.first_child_; }
    static Cte*& prev(Cte& c) { return c.prev_; }
    static Cte*& next(Cte& c) { return c.next_; }
};

// Sibling order: by space, then by first address/port/line. Distinct objects
// that are siblings never share a key (they do not overlap), except
// zero-extent ones (Kernel), which are all copies of one object.
inline bool key_less(const Capability& a, const Capability& b) {
    const Extent x = extent_of(a), y = extent_of(b);
    return x.space != y.space ? x.space < y.space : x.begin < y.begin;
}

inline bool is_copy_of(const Cte* c, const Capability& cap) {
    return c != nullptr && same_object(c->cap(), cap);
}

// True when `c` is the first copy of its object among its siblings.
inline bool is_group_head(const Cte& c) { return !is_copy_of(c.prev(), c.cap()); }

inline bool has_local_copy(const Cte& c) {
    return is_copy_of(c.prev(), c.cap()) || is_copy_of(c.next(), c.cap());
}

// O(copies before c).
const Cte* group_head(const Cte* c);
inline Cte* group_head(Cte* c) { return const_cast<Cte*>(group_head(static_cast<const Cte*>(c))); }

// Links `n` into the sibling list right after `pos` (same parent).
void link_after(Cte* pos, Cte* n);
// Links `n` into the sibling list right before `pos` (same parent).
void link_before(Cte* pos, Cte* n);
// Links `n` among the children of `head` after every child with a key not
// greater than n's. O(children of head).
void link_child_sorted(Cte* head, Cte* n);
// Takes `n` out of its sibling list and clears its links (not its children).
void unlink(Cte* n);
// Moves every child of `from` to `to` (which has none). O(children).
void move_children(Cte* from, Cte* to);
// Replaces `n` in its sibling list by its children, in order, and clears
// n's links. Keeps the list sorted when the children lie inside n and n's
// siblings do not overlap n. O(children).
void replace_by_children(Cte* n);

}  // namespace mk::caps::detail
