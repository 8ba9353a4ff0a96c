// Retype: the only way new objects come into existence. A RAM capability is
// cut into naturally aligned objects of one type (a Frame or an I/O range
// may be cut into smaller ones of its own type); the new capabilities become
// children of the source's object, in consecutive slots of a CNode.
#include <new>

#include "caps/table.hpp"
#include "caps/tree.hpp"

namespace mk::caps {

namespace {

Capability child_capability(const Capability& src, CapType type, u64 begin, u64 size) {
    Capability c = type == CapType::Io ? Capability::io(begin, size, src.rights)
                                       : Capability::memory(type, begin, size, src.rights);
    // A child's ancestors exist remotely when the source has remote ancestors
    // or remote copies (a revoke there reaches this child).
    if (has_any(src.remote, Remote::Copies | Remote::Ancestors)) c.remote = Remote::Ancestors;
    return c;
}

}  // namespace

Status CapTable::retype(Cte& src, const RetypeArgs& a, Cte& dest_cnode) {
    // Decode: the capabilities.
    if (src.empty() || dest_cnode.empty()) return Error::InvalidCap;
    if (dest_cnode.cap_.type != CapType::CNode) return Error::WrongType;
    const Capability& s = src.cap_;
    if (!can_retype(s.type, a.type)) return Error::WrongType;

    // The objects' shape. Same-type pieces must be strictly smaller, which
    // bounds the depth of the tree (sizes are powers of two).
    const Extent from = extent_of(s);
    if (a.count == 0 || !valid_object_size(a.type, a.object_size)) return Error::InvalidArgument;
    if (a.type == s.type && a.object_size >= from.length()) return Error::InvalidArgument;
    // The range inside the source, without overflow: count * size <= length.
    if (a.count > from.length() / a.object_size) return Error::OutOfRange;
    const u64 total = a.count * a.object_size;
    if (a.offset > from.length() - total) return Error::OutOfRange;
    const u64 begin = from.begin + a.offset;
    if (!is_aligned(begin, a.object_size)) return Error::InvalidArgument;

    // The destination slots.
    const u64 slots = dest_cnode.cap_.slots();
    if (a.first_slot > slots || a.count > slots - a.first_slot) return Error::OutOfRange;
    Cte* dest = slots_of(dest_cnode.cap_) + a.first_slot;
    for (u64 i = 0; i < a.count; ++i)
        if (!dest[i].empty()) return Error::SlotOccupied;

    // Copies elsewhere may have descendants this core cannot see.
    if (has_any(s.remote, Remote::Copies | Remote::Descendants) && !a.remote_agreed) return Error::Busy;

    // The range must be free in the object: no child of any copy overlaps it.
    // Children lie inside their parent, so deeper descendants need no look.
    // O(children of the object).
    Cte* head = detail::group_head(&src);
    const Extent range{from.space, begin, begin + total};
    for (Cte* c = head->first_child_; c != nullptr; c = c->next_)
        if (overlaps(extent_of(c->cap_), range)) return Error::Overlap;

    // Perform. Nothing below can fail.
    Cte* prev = nullptr;
    for (u64 i = 0; i < a.count; ++i) {
        const u64 at = begin + i * a.object_size;
        dest[i].cap_ = child_capability(s, a.type, at, a.object_size);
        if (prev == nullptr) {
            detail::link_child_sorted(head, &dest[i]);
        } else {
            detail::link_after(prev, &dest[i]);
        }
        prev = &dest[i];
        if (a.type == CapType::CNode) {
            // A new CNode is immediately a valid array of empty slots.
            Cte* inner = slots_of(dest[i].cap_);
            for (u64 k = 0; k < dest[i].cap_.slots(); ++k) new (&inner[k]) Cte();
        }
    }
    return {};
}

}  // namespace mk::caps
