// CapTable: one core's capability table logic. It owns the root of the
// derivation tree (the "mapping database") and performs the capability
// operations on slots the caller has already located (cspace.hpp resolves
// addresses to slots). Every operation decodes and checks all its arguments
// first and only then changes anything: a call that returns an Error has
// changed nothing. No allocation, no recursion, no hardware access: the CPU
// driver wraps each operation with the side effects of the object type
// (zeroing frames, tearing down dispatchers), told through a Reclaimer.
#pragma once

#include "base/result.hpp"
#include "base/span.hpp"
#include "caps/cte.hpp"

namespace mk::caps {

// What deleting one capability meant for its object.
enum class DeleteKind : u8 {
    CopyRemains,    // another copy on this core still names the object
    LastLocalCopy,  // none left on this core, but copies remain on other cores
    LastCopy,       // no capability names the object any more: it is destroyed
};

constexpr const char* delete_kind_name(DeleteKind k) {
    switch (k) {
        case DeleteKind::CopyRemains: return "CopyRemains";
        case DeleteKind::LastLocalCopy: return "LastLocalCopy";
        case DeleteKind::LastCopy: return "LastCopy";
    }
    return "Unknown";
}

// An object whose last capability went away. Its slots (a CNode's, or those
// the Reclaimer names) have already been emptied.
struct ObjectGone {
    Capability cap;        // the last capability, as it was
    bool had_descendants;  // descendants live on (re-attached to its parent, or remote)
};

// The CPU driver's view of object lifetimes. Callbacks run in the middle of
// an operation: they may record work but must not touch any slot or any
// object memory until the operation has returned.
class Reclaimer {
public:
    // Slots embedded in a dying non-CNode object (a dispatcher's root CNode
    // and VSpace slots, say). They are emptied before the object is reported.
    virtual Span<Cte> embedded_slots(const Capability&) { return {}; }
    // Called once for every object that has no capability left.
    virtual void object_gone(const ObjectGone&) {}

protected:
    ~Reclaimer() = default;
};

struct DeleteOutcome {
    DeleteKind kind = DeleteKind::CopyRemains;
    Capability cap;                // the deleted capability
    bool had_descendants = false;  // it was the last copy and had descendants
    u64 caps_deleted = 0;          // including those in slots of destroyed objects
    u64 objects_gone = 0;          // reported to the Reclaimer
    // True when another core must take part before the answer is final: the
    // object lives on remotely, or remote descendants lost their ancestor.
    bool needs_agreement() const {
        if (kind == DeleteKind::CopyRemains) return false;
        return kind == DeleteKind::LastLocalCopy || has_any(cap.remote, Remote::Descendants);
    }
};

struct RevokeOutcome {
    u64 caps_deleted = 0;
    u64 objects_gone = 0;
    // Remote copies or descendants exist: the monitor must revoke them too.
    bool needs_agreement = false;
    // The revoked capability was itself stored in an object it revoked (or
    // reached through one) and is gone; what it had not yet revoked stays,
    // re-attached to its parent.
    bool revoker_deleted = false;
};

struct CapInfo {
    Capability cap;  // type, rights, base, bytes, badge/IRQ/ports/slots, remote flags
    bool local_copies = false;
    bool local_descendants = false;
    bool local_parent = false;  // derived from a capability on this core
};

struct RetypeArgs {
    u64 offset = 0;        // into the source: bytes (ports for Io)
    CapType type = CapType::Null;
    u64 object_size = 0;   // bytes (ports for Io); a power of two, see valid_object_size
    u64 count = 1;
    u64 first_slot = 0;    // in the destination CNode
    // The monitor has agreed with the other cores that the range is free
    // there too; without it a source with remote relations yields Busy.
    bool remote_agreed = false;
};

class CapTable {
public:
    // `direct_map`: the kernel virtual address of physical address 0, through
    // which CNode slots are reached (0 in hosted tests: "physical" = host).
    explicit CapTable(uptr direct_map) : direct_map_(direct_map) {}
    CapTable(const CapTable&) = delete;
    CapTable& operator=(const CapTable&) = delete;

    // The slot array of a CNode capability.
    Cte* slots_of(const Capability& cnode) const {
        return reinterpret_cast<Cte*>(static_cast<uptr>(cnode.base) + direct_map_);
    }
    // The tree's root: its children are the capabilities with no local parent.
    const Cte& root() const { return root_; }

    // Installs a capability with no local parent: boot-time RAM, devices, IRQ
    // and I/O ranges, the Kernel capability, or one received from another
    // core. An equal one already present makes it a copy of that one.
    // Errors: InvalidArgument (malformed), SlotOccupied, Overlap.
    Status create_root(Cte& dest, const Capability& cap);

    // Creates `count` objects of `type` from [offset, offset + count * size)
    // of `src` into consecutive slots of `dest_cnode`.
    // Errors: InvalidCap, WrongType, InvalidArgument, OutOfRange, SlotOccupied,
    // Busy (remote relations, see RetypeArgs), Overlap.
    Status retype(Cte& src, const RetypeArgs& args, Cte& dest_cnode);

    // An equal capability in `dest`, at the same level as `src`.
    // Errors: InvalidCap, SlotOccupied.
    Status copy(Cte& src, Cte& dest);
    // A copy with `rights` (a subset of src's) and, for an Endpoint without a
    // badge, a badge (0 keeps the source's). Errors: InvalidCap, SlotOccupied,
    // NoRights, WrongType (badge on a non-Endpoint).
    Status mint(Cte& src, Cte& dest, Rights rights, u64 badge);

    // Empties the slot. Descendants of a last copy are re-attached to its
    // parent. Errors: InvalidCap.
    Result<DeleteOutcome> delete_cap(Cte& slot, Reclaimer* reclaimer = nullptr);
    // Deletes every other copy of the object and every descendant of every
    // copy, leaving only `slot`. Errors: InvalidCap.
    Result<RevokeOutcome> revoke(Cte& slot, Reclaimer* reclaimer = nullptr);

    // Deletes every local copy of the object `like` names (same type and
    // extent) and every descendant of them, including those whose link to
    // the object is on another core (anything lying in its memory that it
    // could have made: received roots, children re-attached when a last
    // local copy went): this core's part of a revoke agreed with the other
    // cores. Returns how many capabilities went (0 if nothing is there).
    u64 remove_object(const Capability& like, Reclaimer* reclaimer = nullptr);

    // Whether a capability here overlaps physical [base, base + bytes) and is
    // not RAM strictly containing it: an object made in that range, or one a
    // new object there would overlap (a Frame around the range counts). This
    // core's vote on a retype of the range that another core wants to make
    // from a RAM capability with remote copies.
    bool range_in_use(PhysAddr base, u64 bytes) const;
    // How many capabilities here overlap physical [base, base + bytes)
    // without strictly containing it: every copy of an object of exactly
    // that range, everything made inside it, and all their descendants.
    // 0 means nothing on this core keeps the memory in use (the capabilities
    // it was cut from do not count). This core's answer to "is this the last
    // copy?" when an object with remote copies is deleted.
    u64 count_in_range(PhysAddr base, u64 bytes) const;

    Result<CapInfo> identify(const Cte& slot) const;
    // Replaces the remote-relation flags of every local copy of the object.
    // Errors: InvalidCap, WrongType (Copies on a core-local type).
    Status set_remote(Cte& slot, Remote flags);

private:
    void remove(Cte* c, DeleteKind* kind, bool* had_descendants);
    void destroy(const Capability& cap, bool had_descendants, Reclaimer* r, u64* deleted, u64* gone);
    void delete_one(Cte* c, Reclaimer* r, u64* deleted, u64* gone);
    Span<Cte> slots_inside(const Capability& cap, Reclaimer* r) const;

    Cte root_;
    uptr direct_map_;
};

}  // namespace mk::caps
