// CapTable operations that add a capability at an existing level (create_root,
// copy, mint) or only read or flag one (identify, set_remote). Retype is in
// retype.cpp, delete and revoke in delete.cpp.
#include "caps/table.hpp"

#include "caps/tree.hpp"

namespace mk::caps {

using detail::Links;

Status CapTable::create_root(Cte& dest, const Capability& cap) {
    if (!well_formed(cap)) return Error::InvalidArgument;
    if (!dest.empty()) return Error::SlotOccupied;
    // O(roots): the roots are few (boot regions, devices, received caps).
    const Extent e = extent_of(cap);
    Cte* equal = nullptr;
    for (Cte* c = root_.first_child_; c != nullptr; c = c->next_) {
        if (same_object(c->cap_, cap)) {
            equal = c;
            break;
        }
        if (overlaps(extent_of(c->cap_), e)) return Error::Overlap;
    }
    dest.cap_ = cap;
    if (equal == nullptr) {
        detail::link_child_sorted(&root_, &dest);
        return {};
    }
    // All copies carry the same remote flags: the union of what is known.
    const Remote flags = equal->cap_.remote | cap.remote;
    detail::link_after(equal, &dest);
    for (Cte* c = detail::group_head(&dest); detail::is_copy_of(c, cap); c = c->next_) c->cap_.remote = flags;
    return {};
}

Status CapTable::copy(Cte& src, Cte& dest) {
    if (src.empty()) return Error::InvalidCap;
    if (!dest.empty()) return Error::SlotOccupied;
    dest.cap_ = src.cap_;
    detail::link_after(&src, &dest);
    return {};
}

Status CapTable::mint(Cte& src, Cte& dest, Rights rights, u64 badge) {
    if (src.empty()) return Error::InvalidCap;
    if (!dest.empty()) return Error::SlotOccupied;
    if (!has_rights(src.cap_.rights, rights)) return Error::NoRights;
    if (badge != 0) {
        if (src.cap_.type != CapType::Endpoint) return Error::WrongType;
        // A badge names a sender; once set it cannot be changed by the holder.
        if (src.cap_.word != 0 && src.cap_.word != badge) return Error::NoRights;
    }
    dest.cap_ = src.cap_;
    dest.cap_.rights = rights;
    if (badge != 0) dest.cap_.word = badge;
    detail::link_after(&src, &dest);
    return {};
}

Result<CapInfo> CapTable::identify(const Cte& slot) const {
    if (slot.empty()) return Error::InvalidCap;
    CapInfo info;
    info.cap = slot.cap_;
    info.local_copies = detail::has_local_copy(slot);
    // Children hang on the group head: O(copies before the slot).
    info.local_descendants = detail::group_head(&slot)->first_child() != nullptr;
    info.local_parent = slot.parent_ != &root_;
    return info;
}

Status CapTable::set_remote(Cte& slot, Remote flags) {
    if (slot.empty()) return Error::InvalidCap;
    if (u8(flags) > u8(Remote::All)) return Error::InvalidArgument;
    if (has_any(flags, Remote::Copies) && is_core_local_type(slot.cap_.type)) return Error::WrongType;
    // O(copies): every local copy describes the same object.
    const Capability object = slot.cap_;
    for (Cte* c = detail::group_head(&slot); detail::is_copy_of(c, object); c = c->next_) c->cap_.remote = flags;
    return {};
}

}  // namespace mk::caps
