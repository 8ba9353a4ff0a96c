// Deleting capabilities and giving memory back (docs/monitor.md, "Deleting
// the last copy"). A capability whose memory may be held on another core is
// deleted in an agreed DeleteLast operation (lib/agree/capops.hpp): every
// core answers whether it still holds anything in the object's memory, so
// two holders deleting at once cannot both believe they were last. When
// nobody does, the coordinator tells the core that owns the memory (the
// replicated ownership map names it) once every core has carried out the
// decision, and that core's pool takes the piece back. A capability whose
// memory no other core can hold is deleted here alone.
//
// The capability family's participant (transfer.cpp) asks this file how to
// vote: what this core holds in a range (Kernel.countInRange), and whether a
// capability is on its way to another core (an offer not yet recorded
// there), which makes the vote "not now" until it is.
#include "agree/capops.hpp"
#include "monitor.hpp"
#include "user/syscall.hpp"

namespace mk::monitor {
namespace {

using namespace mk::user;

Status ok_or(Error e) { return e == Error::Ok ? Status{} : Status{e}; }

// A slot for looking at a program's capability: used and emptied again
// without serving anything in between.
u32 scratch() {
    static u32 slot = 0;
    if (slot == 0) slot = g_self.slots->next().value_or(0);
    return slot;
}

// What the capability in a program's slot names (RAM or Frame, say).
Status identify_in_child(u32 child_root, u32 address, abi::CapIdentity& id) {
    const u32 s = scratch();
    if (s == 0) return Error::NoMemory;
    TRY_STATUS(take_from_child(child_root, address, s));
    Status r = ok_or(identify(s, id));
    (void)remove(s);
    return r;
}

bool memory_type(u64 type) { return type == u64(CapType::Ram) || type == u64(CapType::Frame); }

// Ranges this core voted yes on in capability operations not yet decided:
// one per coordinator at most.
struct Held {
    bool used;
    u64 base, bytes;
};
Held g_held[kMaxCores] = {};

// Offers sent to another core and not yet recorded there.
struct Transit {
    bool used;
    u64 ticket, base, bytes;
};
constexpr usize kMaxTransit = 16;
Transit g_transit[kMaxTransit] = {};

// One-way messages that found their channel full, sent from serve_releases.
struct Note {
    bool piece_free;  // else: an offer recorded
    u32 to;
    u64 a, b;
};
constexpr usize kMaxNotes = 64;
Note g_notes[kMaxNotes] = {};
usize g_note_count = 0;

// Local.deleteCap waiting for its agreed operation.
struct PendingDelete {
    bool active = false, done = false, last = false;
    u32 child_root = 0, address = 0;
    abi::CapIdentity id{};
    Status result;
};
PendingDelete g_delete;

// On the coordinator: memory nobody holds any more, to give back once the
// operation has finished on every core.
struct PendingFree {
    bool active = false;
    u64 base = 0, bytes = 0;
};
PendingFree g_free;

struct Counters {
    u32 deletes_agreed = 0, deletes_local = 0, revokes = 0, survivors = 0, refused_give_backs = 0, not_now = 0;
};
Counters g_count;

bool overlap(u64 a, u64 an, u64 b, u64 bn) { return a < b + bn && b < a + an; }

bool same_object(const agree::CapOp& c, const abi::CapIdentity& id) {
    return u64(c.type) == id.type && c.base == id.base && c.bytes == id.bytes;
}

void send_note(const Note& n) {
    Status s = n.piece_free ? send_piece_free(n.to, n.a, n.b) : send_offer_recorded(n.to, n.a);
    if (s.ok()) return;
    if (g_note_count == kMaxNotes) {
        printf("release: a note to core %u is lost: %zu wait already", n.to, kMaxNotes);
        return;
    }
    g_notes[g_note_count++] = n;
}

// What this core holds in [base, base + bytes), not counting the pool's own
// chunk capability (which has the range of a piece handed out whole).
u64 held_here(u64 base, u64 bytes) {
    const u64 n = count_in_range_here(base, bytes);
    const u64 pool = pool_copies(base, bytes);
    return n > pool ? n - pool : 0;
}

// Memory nobody holds any more: back to its owner's pool.
void free_everywhere(u64 base, u64 bytes) {
    const u8 owner = memory_owner(base);
    if (owner == g_self.core) piece_free_received(base, bytes);
    else if (owner < g_self.cores) send_note({true, owner, base, bytes});
    // Memory in no pool (a monitor's general block) has nowhere to go.
}

}  // namespace

bool offer_in_transit(u64 base, u64 bytes) {
    for (const Transit& t : g_transit) {
        if (t.used && overlap(t.base, t.bytes, base, bytes)) return true;
    }
    return false;
}

void note_not_now() { ++g_count.not_now; }

void hold_range(u64 base, u64 bytes) {
    for (Held& h : g_held) {
        if (h.used) continue;
        h = {true, base, bytes};
        return;
    }
}

void drop_range(u64 base, u64 bytes) {
    for (Held& h : g_held) {
        if (!h.used || h.base != base || h.bytes != bytes) continue;
        h.used = false;
        return;
    }
}

bool range_held(u64 base, u64 bytes) {
    for (const Held& h : g_held) {
        if (h.used && overlap(h.base, h.bytes, base, bytes)) return true;
    }
    return false;
}

Status offer_sent(u64 ticket, u64 base, u64 bytes) {
    for (Transit& t : g_transit) {
        if (t.used) continue;
        t = {true, ticket, base, bytes};
        return {};
    }
    return Error::Busy;
}

void offer_recorded(u64 ticket) {
    for (Transit& t : g_transit) {
        if (t.used && t.ticket == ticket) t.used = false;
    }
}

Status wait_offer_recorded(u64 ticket) {
    u64 until = deadline();
    for (;;) {
        bool waiting = false;
        for (const Transit& t : g_transit) waiting = waiting || (t.used && t.ticket == ticket);
        if (!waiting) return {};
        if (rdtsc() > until) {
            offer_recorded(ticket);  // give up: the vote must not stay "not now" forever
            return Error::Timeout;
        }
        serve_all();
        idle_wait();
    }
}

void answer_offer(u32 to, u64 ticket) { send_note({false, to, ticket, 0}); }

void serve_releases() {
    usize kept = 0;
    for (usize i = 0; i < g_note_count; ++i) {
        const Note n = g_notes[i];
        Status s = n.piece_free ? send_piece_free(n.to, n.a, n.b) : send_offer_recorded(n.to, n.a);
        if (!s.ok()) g_notes[kept++] = n;
    }
    g_note_count = kept;
}

void piece_free_received(u64 base, u64 bytes) {
    if (!piece_handed_out(base, bytes)) return;  // not a piece (a Frame inside one, say): nothing to give back
    // Every core said it holds nothing there and has carried that out; this
    // core checks its own share once more before the memory can be handed out again.
    if (held_here(base, bytes) != 0) {
        ++g_count.refused_give_backs;
        printf("release: piece %lx+%lx not given back: a capability here still covers it", base, bytes);
        return;
    }
    (void)give_back_piece(base, bytes);
}

// ---- The DeleteLast operation, as this core's participant ----

agree::Vote delete_last_check(const agree::CapOp& c) {
    if (c.issuer != g_self.core) return agree::Vote::Yes;
    if (!g_delete.active || !same_object(c, g_delete.id)) return agree::Vote::Refused;
    // The program's capability must still be there: a revoke agreed first
    // may have removed it (then there is nothing left to delete).
    abi::CapIdentity now{};
    if (!identify_in_child(g_delete.child_root, g_delete.address, now).ok() || !same_object(c, now)) {
        return agree::Vote::Refused;
    }
    return agree::Vote::Yes;
}

u16 delete_last_answer(const agree::CapOp& c) {
    u64 n = held_here(c.base, c.bytes);
    if (c.issuer == g_self.core) n = n > 0 ? n - 1 : 0;  // the copy being deleted
    n += offers_in_range(c.base, c.bytes);               // will be capabilities here once claimed
    return n != 0 ? agree::kCopyHeldElsewhere : 0;
}

void delete_last_apply(const agree::CapOp& c, u16 answers) {
    if (c.issuer != g_self.core || !g_delete.active || !same_object(c, g_delete.id)) return;
    const bool last = (answers & agree::kCopyHeldElsewhere) == 0;
    g_delete.result = remove_in_child(g_delete.child_root, g_delete.address);
    g_delete.done = true;
    g_delete.last = last;
    if (last) g_free = {true, c.base, c.bytes};
}

void revoke_applied(const agree::CapOp& c) {
    ++g_count.revokes;
    // No capability in the object's memory may survive here.
    const u64 left = held_here(c.base, c.bytes);
    if (left != 0) {
        g_count.survivors += static_cast<u32>(left);
        printf("release: %lu capabilities in %lx+%lx survived a revoke here", left, c.base, c.bytes);
    }
    drop_offers(c.base, c.bytes);  // offers of it not yet claimed go with it
    if (c.issuer == g_self.core) g_free = {true, c.base, c.bytes};
}

void cap_op_finished(const agree::CapOp& c, agree::Outcome outcome) {
    if (!g_free.active || g_free.base != c.base || g_free.bytes != c.bytes) return;
    g_free.active = false;
    if (outcome == agree::Outcome::Committed) free_everywhere(c.base, c.bytes);
}

// ---- Local.deleteCap ----

Result<bool> delete_cap(u32 child_root, u32 address) {
    abi::CapIdentity id{};
    TRY_STATUS(identify_in_child(child_root, address, id));
    const bool memory = memory_type(id.type);
    // Another core may hold this memory if the object has remote relations,
    // or if anything inside its piece was ever sent (a Frame made from it,
    // say, whose sending marked only the Frame).
    const bool agreed = memory && (id.remote != 0 || piece_shared(id.base));
    if (!agreed) {
        if (memory && range_held(id.base, id.bytes)) return Error::Busy;  // an agreed operation on it is under way
        TRY_STATUS(remove_in_child(child_root, address));
        ++g_count.deletes_local;
        if (!memory || held_here(id.base, id.bytes) != 0) return false;
        piece_free_received(id.base, id.bytes);
        return true;
    }
    agree::CapOp op;
    op.action = agree::CapAction::DeleteLast;
    op.type = static_cast<caps::CapType>(id.type);
    op.issuer = static_cast<u8>(g_self.core);
    op.base = id.base;
    op.bytes = id.bytes;
    g_delete = PendingDelete{true, false, false, child_root, address, id, {}};
    Status s = start_agreement(agree::encode(op));
    if (s.ok()) s = wait_for_agreement();
    bool last = g_delete.last;
    if (s.ok()) s = g_delete.done ? g_delete.result : Status{Error::InvalidCap};  // refused: the capability went first
    g_delete.active = false;
    if (!s.ok()) return s.error();
    ++g_count.deletes_agreed;
    return last;
}

CapCounters cap_counters() {
    return {g_count.deletes_agreed, g_count.deletes_local, g_count.revokes, g_count.survivors,
            g_count.refused_give_backs, g_count.not_now};
}

}  // namespace mk::monitor
