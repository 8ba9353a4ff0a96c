// Delete and revoke, and the destruction of objects whose last capability
// went away. Destroying an object that holds slots (a CNode, or slots the
// Reclaimer names inside a dispatcher) deletes the capabilities in them,
// which may destroy further such objects, to any depth. That cascade runs
// iteratively: the slot that held the last capability of a dying object lies
// in dead memory, so it is reused as the dying object's work record (see
// "Destroying objects" in docs/capabilities.md). No recursion, no allocation.
#include <new>

#include "caps/table.hpp"
#include "caps/tree.hpp"

namespace mk::caps {

namespace {

// Turns a dead slot into the work record of a dying object with slots:
//   cap_     the object's last capability (reserved8 = had-descendants flag)
//   parent_  the record of the object whose slot held it (null for the first)
//   next_    the next of its slots to empty
//   prev_    one past its last slot
void make_record(Cte* at, const Capability& cap, bool had_descendants, Span<Cte> slots, Cte* up) {
    new (at) Cte();
    detail::Links::cap(*at) = cap;
    detail::Links::cap(*at).reserved8 = had_descendants ? 1 : 0;
    detail::Links::parent(*at) = up;
    detail::Links::next(*at) = slots.begin();
    detail::Links::prev(*at) = slots.end();
}

// Whether `c` lies in the memory of the object `like` names and was made
// from it: a copy of it, anything strictly inside it, or an object of another
// type over the same memory that its type can make (a Frame from a RAM).
bool in_object(const Capability& like, const Capability& c) {
    const Extent o = extent_of(like), e = extent_of(c);
    if (!contains(o, e)) return false;
    if (same_object(like, c)) return true;
    if (e.begin != o.begin || e.end != o.end) return true;
    return c.type != like.type && can_retype(like.type, c.type);
}

// The first capability (a group head) in the object's memory, found by
// descending from the root through the capabilities that contain it
// (siblings do not overlap, parents contain their children). O(depth x siblings).
Cte* first_in_object(Cte* root, const Capability& like) {
    const Extent want = extent_of(like);
    Cte* node = root;
    while (node != nullptr) {
        Cte* next = nullptr;
        for (Cte* c = detail::Links::first_child(*node); c != nullptr; c = detail::Links::next(*c)) {
            if (in_object(like, c->cap())) return detail::group_head(c);
            if (next == nullptr && contains(extent_of(c->cap()), want)) next = detail::group_head(c);
        }
        node = next;
    }
    return nullptr;
}

}  // namespace

Span<Cte> CapTable::slots_inside(const Capability& cap, Reclaimer* r) const {
    if (cap.type == CapType::CNode) return {slots_of(cap), cap.slots()};
    if (r != nullptr) return r->embedded_slots(cap);
    return {};
}

// Takes one capability out of the tree and empties its slot. A non-last copy
// hands the object's children to the next copy if it was the group head; a
// last copy leaves its children to its parent, in its place.
// O(children + 1).
void CapTable::remove(Cte* c, DeleteKind* kind, bool* had_descendants) {
    *had_descendants = false;
    if (detail::has_local_copy(*c)) {
        // A head with a copy has that copy right after it.
        if (detail::is_group_head(*c)) detail::move_children(c, c->next_);
        detail::unlink(c);
        *kind = DeleteKind::CopyRemains;
    } else {
        *had_descendants = c->first_child_ != nullptr || has_any(c->cap_.remote, Remote::Descendants);
        *kind = has_any(c->cap_.remote, Remote::Copies) ? DeleteKind::LastLocalCopy : DeleteKind::LastCopy;
        // The object lives on elsewhere and is still its children's ancestor:
        // a revoke there must find them (every copy of each is in this list).
        if (*kind == DeleteKind::LastLocalCopy)
            for (Cte* child = c->first_child_; child != nullptr; child = child->next_)
                child->cap_.remote = child->cap_.remote | Remote::Ancestors;
        detail::replace_by_children(c);
    }
    c->cap_ = Capability{};
}

// Destroys an object whose last capability is gone: empties the slots inside
// it (and inside every object that dies because of that), then reports each
// dead object to the Reclaimer, innermost first. O(slots emptied + children
// re-attached); it only loops, keeping one record per dying object in the
// slot that held that object's last capability.
void CapTable::destroy(const Capability& cap, bool had_descendants, Reclaimer* r, u64* deleted, u64* gone) {
    auto report = [&](Capability dead, bool had) {
        dead.reserved8 = 0;
        ++*gone;
        if (r != nullptr) r->object_gone({dead, had});
    };
    Span<Cte> inner = slots_inside(cap, r);
    if (inner.empty()) {
        report(cap, had_descendants);
        return;
    }
    Cte first;
    make_record(&first, cap, had_descendants, inner, nullptr);
    Cte* cur = &first;
    while (cur != nullptr) {
        Cte* slot = cur->next_;
        if (slot == cur->prev_) {
            // Every slot of this object is empty: report it, resume the outer one.
            report(cur->cap_, cur->cap_.reserved8 != 0);
            Cte* up = cur->parent_;
            new (cur) Cte();
            cur = up;
            continue;
        }
        cur->next_ = slot + 1;
        if (slot->empty()) continue;
        const Capability victim = slot->cap_;
        DeleteKind kind;
        bool had = false;
        remove(slot, &kind, &had);
        ++*deleted;
        if (kind != DeleteKind::LastCopy) continue;
        Span<Cte> more = slots_inside(victim, r);
        if (more.empty()) {
            report(victim, had);
            continue;
        }
        // The emptied slot is in dead memory: it becomes the record.
        make_record(slot, victim, had, more, cur);
        cur = slot;
    }
}

void CapTable::delete_one(Cte* c, Reclaimer* r, u64* deleted, u64* gone) {
    const Capability cap = c->cap_;
    DeleteKind kind;
    bool had = false;
    remove(c, &kind, &had);
    ++*deleted;
    if (kind == DeleteKind::LastCopy) destroy(cap, had, r, deleted, gone);
}

Result<DeleteOutcome> CapTable::delete_cap(Cte& slot, Reclaimer* r) {
    if (slot.empty()) return Error::InvalidCap;
    DeleteOutcome out;
    out.cap = slot.cap_;
    remove(&slot, &out.kind, &out.had_descendants);
    out.caps_deleted = 1;
    if (out.kind == DeleteKind::LastCopy)
        destroy(out.cap, out.had_descendants, r, &out.caps_deleted, &out.objects_gone);
    return out;
}

// Revoke: first make `slot` the head of its copy group (O(copies + children)),
// then delete the copies after it (O(1) each: they hold no children), then
// delete descendants leaf first, each found by descending from the slot
// (O(depth) each; depth is bounded, see docs). Descendants are found afresh
// after every deletion because destroying an object may delete capabilities
// anywhere, even `slot` itself.
bool CapTable::range_in_use(PhysAddr base, u64 bytes) const {
    const Extent want{Space::Memory, base, base + bytes};
    // Only RAM that strictly contains the range is memory the new object may
    // be made from: descend through it, stop at the first overlap that is
    // anything else. (A Frame around the range is memory in use: an object
    // made there from the RAM above it would overlap the Frame.)
    const Cte* node = &root_;
    while (node != nullptr) {
        const Cte* next = nullptr;
        for (const Cte* c = node->first_child_; c != nullptr; c = c->next_) {
            const Extent e = extent_of(c->cap_);
            if (!overlaps(e, want)) continue;
            bool strictly = contains(e, want) && (e.begin != want.begin || e.end != want.end);
            if (!strictly || c->cap_.type != CapType::Ram) return true;
            if (next == nullptr) next = detail::group_head(c);
        }
        node = next;
    }
    return false;
}

u64 CapTable::count_in_range(PhysAddr base, u64 bytes) const {
    const Extent want{Space::Memory, base, base + bytes};
    // As range_in_use: descend through the capabilities that strictly contain
    // the range; at the first level where some do not, every overlapping one
    // lies inside the range (siblings do not overlap), so count each with its
    // whole subtree. The walk climbs back through parent links: no recursion.
    u64 n = 0;
    const Cte* node = &root_;
    while (node != nullptr) {
        const Cte* next = nullptr;
        for (const Cte* c = node->first_child_; c != nullptr; c = c->next_) {
            const Extent e = extent_of(c->cap_);
            if (!overlaps(e, want)) continue;
            if (contains(e, want) && (e.begin != want.begin || e.end != want.end)) {
                if (next == nullptr) next = detail::group_head(c);
                continue;
            }
            ++n;
            const Cte* cur = c->first_child_;  // only a group head has children
            while (cur != nullptr) {
                ++n;
                if (cur->first_child_ != nullptr) {
                    cur = cur->first_child_;
                    continue;
                }
                while (cur != nullptr && cur->next_ == nullptr) {
                    cur = cur->parent_;
                    if (cur == c) cur = nullptr;
                }
                if (cur != nullptr) cur = cur->next_;
            }
        }
        node = next;
    }
    return n;
}

u64 CapTable::remove_object(const Capability& like, Reclaimer* r) {
    // Every local copy of the object and everything inside its memory: the
    // descendants of a local copy, and those whose link to the object is on
    // another core (received from there as roots, or re-attached above it
    // when its last local copy went). Whatever lies inside an object was
    // made from it, since retype never lets two objects overlap. Each pass
    // removes one copy group with its descendants.
    u64 deleted = 0, gone = 0;
    while (Cte* found = first_in_object(&root_, like)) {
        auto out = revoke(*found, r);  // the other copies and every descendant
        if (out.ok()) deleted += out->caps_deleted;
        if (out.ok() && out->revoker_deleted) continue;
        delete_one(found, r, &deleted, &gone);
    }
    return deleted;
}

Result<RevokeOutcome> CapTable::revoke(Cte& slot, Reclaimer* r) {
    if (slot.empty()) return Error::InvalidCap;
    RevokeOutcome out;
    const Capability me = slot.cap_;
    out.needs_agreement = has_any(me.remote, Remote::Copies | Remote::Descendants);

    Cte* head = detail::group_head(&slot);
    if (head != &slot) {
        detail::unlink(&slot);
        detail::link_before(head, &slot);
        detail::move_children(head, &slot);
    }
    while (detail::is_copy_of(slot.next_, me)) delete_one(slot.next_, r, &out.caps_deleted, &out.objects_gone);

    while (slot.cap_ == me && slot.first_child_ != nullptr) {
        Cte* leaf = slot.first_child_;
        while (leaf->first_child_ != nullptr) leaf = leaf->first_child_;
        delete_one(leaf, r, &out.caps_deleted, &out.objects_gone);
    }
    out.revoker_deleted = !(slot.cap_ == me);
    return out;
}

}  // namespace mk::caps
