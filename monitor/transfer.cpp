// Capabilities between programs on different cores, through their monitors
// (docs/monitor.md, "Capabilities that cross cores"). The sending monitor
// takes a copy from the program's space, marks the object as having a remote
// copy and sends its description with a ticket; the receiving monitor keeps
// the offer until the receiving program claims it, then makes the capability
// (Kernel.capCreate) and places it in that program's space.
#include "agree/capops.hpp"
#include "monitor.hpp"
#include "user/syscall.hpp"

#include <new>

namespace mk::monitor {
namespace {

using namespace mk::user;

constexpr usize kMaxOffers = 64;

struct Offer {
    bool used;
    u64 ticket;
    u32 type, rights;
    u64 base, bytes;
};
Offer g_offers[kMaxOffers] = {};
// Tickets whose offers a revoke removed before they were claimed.
u64 g_revoked[kMaxOffers] = {};
u32 g_revoked_next = 0;

bool counts_in(u64 base, u64 bytes, const Offer& o) {
    // As Kernel.countInRange: overlapping, and not strictly containing the range.
    if (!(o.base < base + bytes && base < o.base + o.bytes)) return false;
    bool contains = o.base <= base && base + bytes <= o.base + o.bytes;
    return !contains || (o.base == base && o.bytes == bytes);
}
u32 g_next_spawn_ticket = 0;

Status ok_or(Error e) { return e == Error::Ok ? Status{} : Status{e}; }

// This core's part in agreed capability operations. Only revoke is used
// here: every core removes the object's copies and descendants it holds.
// The retype this core's monitor asked the others about, done on commit.
struct PendingRetype {
    bool active = false, done = false;
    u32 source;  // our copy of the program's RAM capability
    u64 type_and_size, offset;
    u32 child_root, dest;  // where the new object goes
    Status result;
};
PendingRetype g_retype;

class LocalCaps final : public agree::CapParticipant {
public:
    agree::Vote check(const agree::CapOp& c) override {
        // A capability in this range is on its way to another core: not
        // until that core has recorded it (release.cpp).
        if (offer_in_transit(c.base, c.bytes)) {
            note_not_now();
            return agree::Vote::Conflict;
        }
        agree::Vote v = vote(c);
        if (v == agree::Vote::Yes) hold_range(c.base, c.bytes);
        return v;
    }
    u16 answer(const agree::CapOp& c) const override {
        return c.action == agree::CapAction::DeleteLast ? delete_last_answer(c) : 0;
    }
    void apply(const agree::CapOp& c, u16 answers) override {
        drop_range(c.base, c.bytes);
        if (c.action == agree::CapAction::Revoke) {
            SyscallResult r = invoke(kKernel, abi::kKernelRemoveObject, u64(c.type), c.base, c.bytes);
            if (r.error == Error::Ok) removed += r.value;
            revoke_applied(c);
        } else if (c.action == agree::CapAction::DeleteLast) {
            delete_last_apply(c, answers);
        } else if (c.action == agree::CapAction::Retype && c.issuer == g_self.core && g_retype.active) {
            g_retype.done = true;
            auto made = g_self.slots->next();
            Status s = made.ok() ? Status{} : Status{made.error()};
            if (s.ok()) s = ok_or(invoke(kKernel, abi::kKernelRetypeAgreed, g_retype.source, g_retype.type_and_size,
                                         g_retype.offset, *made).error);
            // Our copy of the source goes now, not after the wait: a later
            // operation on this memory must not count it as held here.
            (void)remove(g_retype.source);
            g_retype.source = 0;
            if (s.ok()) {
                s = place_in_child(g_retype.child_root, g_retype.dest, *made);
                (void)remove(*made);  // the program holds it (or, on failure, nobody)
            }
            g_retype.result = s;
        }
    }
    void cancel(const agree::CapOp& c) override { drop_range(c.base, c.bytes); }
    void finished(const agree::CapOp& c, agree::Outcome outcome) override { cap_op_finished(c, outcome); }
    u64 removed = 0;

private:
    static agree::Vote vote(const agree::CapOp& c) {
        switch (c.action) {
            case agree::CapAction::Revoke:
                // A pool's own chunk capability is never revoked with a
                // program's copy of it (a whole chunk handed out): delete that.
                return pool_copies(c.base, c.bytes) == 0 ? agree::Vote::Yes : agree::Vote::Refused;
            case agree::CapAction::Retype: {
                // No: something here lies in the range (a conflicting descendant).
                SyscallResult r = invoke(kKernel, abi::kKernelRangeInUse, c.base, c.bytes);
                return r.error == Error::Ok && r.value == 0 ? agree::Vote::Yes : agree::Vote::Refused;
            }
            case agree::CapAction::DeleteLast: return delete_last_check(c);
        }
        return agree::Vote::Refused;
    }
};
LocalCaps g_local_caps;
alignas(agree::CapAgreement) u8 g_cap_agreement_storage[sizeof(agree::CapAgreement)];

// Borrows the child's L2 CNode that holds `address` into our root slot
// kPlaceL1B, runs `op` with the slot's address as we name it, and cleans up.
template <typename Op>
Status in_child_slot(u32 child_root, u32 address, Op op) {
    if ((address & abi::kL1Flag) != 0 || address > 0xFFFF) return Error::InvalidArgument;
    u32 l1 = address >> 8, l2 = address & 0xFF;
    TRY_STATUS(ok_or(copy(child_root, abi::l1_slot(kPlaceL1A))));
    Status s = ok_or(copy(abi::cap_address(kPlaceL1A, l1), abi::l1_slot(kPlaceL1B)));
    if (s.ok()) {
        s = op(abi::cap_address(kPlaceL1B, l2));
        (void)remove(abi::l1_slot(kPlaceL1B));
    }
    (void)remove(abi::l1_slot(kPlaceL1A));
    return s;
}

}  // namespace

Status place_in_child(u32 child_root, u32 address, u32 cap) {
    return in_child_slot(child_root, address, [cap](u32 slot) { return ok_or(copy(cap, slot)); });
}

Status take_from_child(u32 child_root, u32 address, u32 ours) {
    return in_child_slot(child_root, address, [ours](u32 slot) { return ok_or(copy(slot, ours)); });
}

Status remove_in_child(u32 child_root, u32 address) {
    return in_child_slot(child_root, address, [](u32 slot) { return ok_or(remove(slot)); });
}

u32 offers_in_range(u64 base, u64 bytes) {
    u32 n = 0;
    for (const Offer& o : g_offers) n += o.used && counts_in(base, bytes, o);
    return n;
}

void drop_offers(u64 base, u64 bytes) {
    for (Offer& o : g_offers) {
        if (!o.used || !(o.base < base + bytes && base < o.base + o.bytes)) continue;
        o.used = false;
        g_revoked[g_revoked_next++ % kMaxOffers] = o.ticket + 1;  // 0: no entry
    }
}

u32 offers_waiting() {
    u32 n = 0;
    for (const Offer& o : g_offers) n += o.used;
    return n;
}

Status offer_cap(u32 child_root, u32 address, u32 to_core, u64 ticket) {
    if (to_core >= g_self.cores) return Error::OutOfRange;
    if (to_core == g_self.core) return Error::InvalidArgument;  // same core: no monitor needed
    u32 ours = TRY(g_self.slots->next());
    TRY_STATUS(take_from_child(child_root, address, ours));
    abi::CapIdentity id{};
    Status s = ok_or(identify(ours, id));
    if (s.ok() && id.type != u64(CapType::Ram) && id.type != u64(CapType::Frame)) s = Error::WrongType;
    // An agreed operation on this memory is under way here: its decision
    // might not reach the receiver before the offer does.
    if (s.ok() && range_held(id.base, id.bytes)) s = Error::Busy;
    if (s.ok()) s = offer_sent(ticket, id.base, id.bytes);  // Busy: too many on their way
    if (s.ok()) {
        s = ok_or(invoke(kKernel, abi::kKernelMarkRemote, ours).error);
        if (s.ok()) s = send_cap_offer(to_core, ticket, id);
        if (!s.ok()) offer_recorded(ticket);
    }
    (void)remove(ours);
    TRY_STATUS(s);
    mark_piece_shared(id.base);  // deleting anything in its piece now asks every core
    // Until the receiver has recorded the offer, operations on this memory
    // wait ("not now"), so none commits there before the offer is known.
    return wait_offer_recorded(ticket);
}

void record_offer(u64 ticket, u32 type, u32 rights, u64 base, u64 bytes) {
    for (Offer& o : g_offers) {
        if (o.used) continue;
        o = Offer{true, ticket, type, rights, base, bytes};
        answer_offer(static_cast<u32>(ticket >> 32), ticket);
        return;
    }
    printf("capability offer %lx dropped: %zu offers wait already", ticket, kMaxOffers);
    answer_offer(static_cast<u32>(ticket >> 32), ticket);  // the sender must not wait for it
}

void register_cap_family(agree::Router& router) {
    auto* app = new (g_cap_agreement_storage) agree::CapAgreement(static_cast<u8>(g_self.cores), g_local_caps);
    router.route(agree::kFamilyCaps, *app);
}

Status revoke_everywhere(u32 child_root, u32 address) {
    u32 ours = TRY(g_self.slots->next());
    TRY_STATUS(take_from_child(child_root, address, ours));
    abi::CapIdentity id{};
    Status s = ok_or(identify(ours, id));
    (void)remove(ours);
    TRY_STATUS(s);
    if (id.type != u64(CapType::Ram) && id.type != u64(CapType::Frame)) return Error::WrongType;
    agree::CapOp op;
    op.action = agree::CapAction::Revoke;
    op.type = static_cast<caps::CapType>(id.type);
    op.issuer = static_cast<u8>(g_self.core);
    op.base = id.base;
    op.bytes = id.bytes;
    TRY_STATUS(start_agreement(agree::encode(op)));
    return wait_for_agreement();
}

Status retype_agreed(u32 child_root, u32 address, u32 type, u32 size_log2, u64 offset, u32 dest) {
    if (size_log2 < 12 || size_log2 > 40) return Error::OutOfRange;
    u32 ours = TRY(g_self.slots->next());
    TRY_STATUS(take_from_child(child_root, address, ours));
    abi::CapIdentity id{};
    Status s = ok_or(identify(ours, id));
    if (s.ok() && id.type != u64(CapType::Ram)) s = Error::WrongType;
    u64 bytes = u64{1} << size_log2;
    if (s.ok() && (offset >= id.bytes || bytes > id.bytes - offset || offset % bytes != 0)) s = Error::OutOfRange;
    agree::CapOp op;
    op.action = agree::CapAction::Retype;
    op.type = static_cast<caps::CapType>(type);
    op.issuer = static_cast<u8>(g_self.core);
    op.base = id.base + offset;
    op.bytes = bytes;
    op.holders = u64{1} << g_self.core;
    bool consumed = false;
    if (s.ok()) {
        g_retype = PendingRetype{true, false, ours, type | (u64{size_log2} << 8), offset, child_root, dest, {}};
        s = start_agreement(agree::encode(op));  // InvalidArgument: a type or size the protocol refuses
        if (s.ok()) s = wait_for_agreement();
        consumed = g_retype.done;
        if (s.ok()) s = g_retype.done ? g_retype.result : Status{Error::NoRights};  // refused: a conflict somewhere
        g_retype.active = false;
    }
    if (!consumed) (void)remove(ours);  // the commit removed it already
    return s;
}

Status claim_cap(u32 child_root, u64 ticket, u32 address) {
    for (u64 t : g_revoked) {
        if (t == ticket + 1) return Error::Revoked;
    }
    for (Offer& o : g_offers) {
        if (!o.used || o.ticket != ticket) continue;
        u32 ours = TRY(g_self.slots->next());
        Status s = ok_or(invoke(kKernel, abi::kKernelCapCreate, ours, o.type | (u64{o.rights} << 8), o.base, o.bytes).error);
        if (s.ok()) s = place_in_child(child_root, address, ours);
        (void)remove(ours);  // the program's copy is the one that stays
        if (s.ok()) o.used = false;
        return s;
    }
    return Error::NotFound;
}

Result<u64> offer_own_cap(u32 ours, u32 to_core) {
    if (to_core >= g_self.cores || to_core == g_self.core) return Error::OutOfRange;
    abi::CapIdentity id{};
    TRY_STATUS(ok_or(identify(ours, id)));
    if (id.type != u64(CapType::Ram) && id.type != u64(CapType::Frame)) return Error::WrongType;
    TRY_STATUS(ok_or(invoke(kKernel, abi::kKernelMarkRemote, ours).error));
    TRY_STATUS(ok_or(identify(ours, id)));  // now with its remote mark
    // Bit 31 of the sequence keeps spawn's tickets apart from sendCap's, whose
    // numbering programs may rely on (captest guesses its neighbour's).
    u64 ticket = (u64{g_self.core} << 32) | 0x80000000u | g_next_spawn_ticket;
    if (range_held(id.base, id.bytes)) return Error::Busy;  // as offer_cap: an agreed operation is deciding it
    TRY_STATUS(offer_sent(ticket, id.base, id.bytes));
    Status s = send_cap_offer(to_core, ticket, id);
    if (!s.ok()) {
        offer_recorded(ticket);
        return s.error();
    }
    ++g_next_spawn_ticket;
    mark_piece_shared(id.base);
    TRY_STATUS(wait_offer_recorded(ticket));
    return ticket;
}

Result<u32> claim_offer(u64 ticket) {
    for (Offer& o : g_offers) {
        if (!o.used || o.ticket != ticket) continue;
        u32 ours = TRY(g_self.slots->next());
        TRY_STATUS(ok_or(invoke(kKernel, abi::kKernelCapCreate, ours, o.type | (u64{o.rights} << 8), o.base, o.bytes).error));
        o.used = false;
        return ours;
    }
    return Error::NotFound;
}

}  // namespace mk::monitor
