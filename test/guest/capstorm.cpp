// Capability operations across cores under load (docs/monitor.md, "The
// capability storm"): every core's copy of this program works on its own
// objects and its neighbours' at once, so agreed operations from every core
// collide on the same memory.
//
//   1. Rounds: allocate 64 KiB of RAM (Local.allocRam), send it to the next
//      core, claim the one the previous core sent, and contend with the
//      next core for the first page of our RAM and with the previous core
//      for the first page of theirs (Local.retypeCap): exactly one of the
//      two contenders may win each page. A winner maps the page and writes
//      a tag into it; after the last round it checks every tag.
//   2. Barrier: a 4 KiB token to each neighbour, and theirs claimed.
//   3. Fates, by round: the receiver revokes the object, or its owner does,
//      or both holders delete their copies at the same time (winners first
//      delete their Frames): exactly one of the two deletes may find it was
//      the last copy (their Frames were unmapped: a mapping holds a copy of
//      its Frame; those of revoked objects stay mapped, and the revoke
//      removes the mapping with them). After each fate a
//      16 KiB piece is allocated and deleted here alone: it must be the
//      last copy, and the next one should reuse its memory.
//   4. Barrier. Every slot that held a revoked or deleted object is empty;
//      64 KiB pieces allocated again land on memory the storm gave back;
//      everything left is deleted.
// The CAPSTORM line has the counts; the harness adds them up over the cores
// (one winner per page, one last delete per doubly held object) and core 0's
// monitor checks after quiescence that every piece the storm was given came
// back to its owner and no capability survived a revoke (the CAPS line).
#include "abi/caps.hpp"
#include "check.hpp"
#include "user/caps.hpp"
#include "user/console.hpp"
#include "user/monitor_link.hpp"
#include "user/syscall.hpp"
#include "user/vm.hpp"

using namespace mk;
using namespace mk::user;
using mk::guest_test::check;
using mk::guest_test::g_failed;
using mk::guest_test::g_passed;

namespace {

constexpr u32 kRam = abi::cap_address(abi::kRamCNode, 0);
constexpr u32 kVSpace = abi::cap_address(abi::kTaskCNode, abi::kTaskVSpace);
constexpr u64 kFrameVa = 0x50000000000, kLinkVa = 0x60000000000;
// Rounds per core: every agreed operation involves every core, so the work
// grows with the square of the cores; 8 cores do fewer rounds each.
constexpr u32 kMaxRounds = 9;
constexpr u32 kObjectLog2 = 16;  // 64 KiB objects
constexpr u64 kTagMagic = 0x57A8'0000'0000'0000;

SlotAllocator g_slots(abi::kSlotCNode2);
SlotAllocator g_more_slots(abi::kSlotCNode);
RamAllocator g_ram(kRam, 1u << 20, g_slots);
AddressSpace g_space(kVSpace, g_ram);
MonitorLink* g_link = nullptr;

u64 rdtsc() {
    u32 lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (u64{hi} << 32) | lo;
}
u64 hz() { return reinterpret_cast<const abi::DispatcherFrame*>(abi::kDispatcherFrameAddress)->tsc_hz; }

u32 next_slot() {
    auto s = g_slots.next();
    return s.ok() ? *s : g_more_slots.next().value_or(0);
}

Status ask(Result<idl::CallId> id) { return id.ok() ? g_link->wait(*id) : Status(id.error()); }

// Calls `f` until it answers something other than Busy (the monitor runs
// another agreed operation, or is moving memory here), for at most 60 s.
template <typename F>
Status until_not_busy(F f, u32& busy) {
    u64 until = rdtsc() + 60 * hz();
    for (;;) {
        Status s = f();
        if (s.error() != Error::Busy || rdtsc() > until) return s;
        ++busy;
        yield();
    }
}

struct Counts {
    u32 allocs = 0, sends = 0, claims = 0, retypes = 0, won = 0, revokes = 0, deletes = 0, last_pairs = 0;
    u32 frame_deletes = 0, local_last = 0, small_reused = 0, again = 0, token_last = 0, busy = 0, tags_bad = 0;
    u32 gone = 0;
};
Counts g_n;

u64 base_of(u32 slot) {
    abi::CapIdentity id{};
    return identify(slot, id) == Error::Ok ? id.base : 0;
}

bool empty_slot(u32 slot) {
    abi::CapIdentity id{};
    return identify(slot, id) == Error::InvalidCap;
}

}  // namespace

extern "C" int domain_main(u32 core, u32 cores) {
    auto link = MonitorLink::open(g_space, kLinkVa);
    check(link.ok(), "a channel to the monitor");
    if (!link.ok()) return 1;
    g_link = *link;
    auto& monitor = g_link->client();
    const u32 next = (core + 1) % cores, previous = (core + cores - 1) % cores;
    const u64 start = rdtsc();
    const u32 rounds = cores >= 8 ? 6 : kMaxRounds;

    auto alloc = [&](u32 log2, u32 slot) {
        Status s = until_not_busy([&] { return ask(monitor.alloc_ram(static_cast<u8>(log2), slot)); }, g_n.busy);
        if (s.ok()) ++g_n.allocs;
        return s;
    };
    auto del = [&](u32 slot, bool& last) {
        idl::monitor::Local::DeleteCapResults r{};
        Status s = until_not_busy([&] { return ask(monitor.delete_cap(slot, &r)); }, g_n.busy);
        last = s.ok() && r.last;
        if (s.ok()) ++g_n.deletes;
        return s;
    };
    u64 tag_bits = 0;  // our program's tag in tickets, the same on every core
    auto send = [&](u32 slot, u32 to, u64& ticket) {
        idl::monitor::Local::SendCapResults r{};
        Status s = until_not_busy([&] { return ask(monitor.send_cap(slot, to, &r)); }, g_n.busy);
        if (s.ok()) {
            ticket = r.ticket;
            tag_bits = r.ticket & (u64{0xFF} << 24);
            ++g_n.sends;
        }
        return s;
    };
    // Claims the `seq`th offer of this program on core `from` (it may not have arrived yet).
    auto claim = [&](u32 from, u32 seq, u32 slot) {
        const u64 ticket = (u64{from} << 32) | tag_bits | seq;
        Status s = Error::NotFound;
        for (u64 until = rdtsc() + 60 * hz(); s.error() == Error::NotFound && rdtsc() < until;) {
            s = ask(monitor.receive_cap(ticket, slot));
            if (s.error() == Error::NotFound) yield();
        }
        if (s.ok()) ++g_n.claims;
        else printf("receiveCap of ticket %lx: %s", ticket, error_name(s.error()));
        return s;
    };

    if (cores == 1) {
        // No neighbour: allocations deleted here alone, each the last copy, and reused.
        u64 previous_base = 0;
        for (u32 r = 0; r < rounds; ++r) {
            u32 slot = next_slot();
            bool last = false;
            check(alloc(14, slot).ok(), "allocRam of 16 KiB");
            u64 base = base_of(slot);
            if (r > 0 && base == previous_base) ++g_n.small_reused;
            previous_base = base;
            check(del(slot, last).ok() && last, "deleteCap of a piece nobody else holds: the last copy");
            g_n.local_last += last;
            check(empty_slot(slot), "the deleted slot is empty");
        }
        printf("CAPSTORM core=%u passed=%d failed=%d rounds=%u allocs=%u deletes=%u local_last=%u small_reused=%u", core,
               g_passed, g_failed, rounds, g_n.allocs, g_n.deletes, g_n.local_last, g_n.small_reused);
        return g_failed == 0 ? 0 : 1;
    }

    // ---- 1. Rounds: allocate, send, claim, contend ----
    u32 mine[kMaxRounds], theirs[kMaxRounds], mine_frame[kMaxRounds] = {}, theirs_frame[kMaxRounds] = {};
    u64 mine_base[kMaxRounds] = {};
    for (u32 r = 0; r < rounds; ++r) {
        mine[r] = next_slot();
        theirs[r] = next_slot();
        check(alloc(kObjectLog2, mine[r]).ok(), "allocRam of 64 KiB");
        mine_base[r] = base_of(mine[r]);
        u64 ticket = 0;
        check(send(mine[r], next, ticket).ok() && (ticket & 0xFFFFFF) == r, "sendCap of our RAM to the next core");
        check(claim(previous, r, theirs[r]).ok(), "receiveCap of the previous core's RAM");
        // Their page first, then ours: the neighbours contend for each page
        // in opposite orders, so some rounds collide in the protocol itself.
        for (int which = 0; which < 2; ++which) {
            u32 ram = which == 0 ? theirs[r] : mine[r];
            u32 dest = next_slot();
            Status s = until_not_busy(
                [&] { return ask(monitor.retype_cap(ram, u32(CapType::Frame), 12, 0, dest)); }, g_n.busy);
            ++g_n.retypes;
            check(s.ok() || s.error() == Error::NoRights, "retypeCap: made, or refused for a conflict on another core");
            if (!s.ok()) continue;
            ++g_n.won;
            (which == 0 ? theirs_frame : mine_frame)[r] = dest;
            // A tag naming this core, round and page: memory handed to two
            // owners would be zeroed or overwritten by the other.
            u64 va = kFrameVa + (u64{r} * 2 + which) * kPageSize;
            bool mapped = g_space.map_frame(va, dest, abi::kMapWrite).ok();
            check(mapped, "the Frame won maps");
            auto* words = reinterpret_cast<volatile u64*>(va);
            for (u64 i = 0; mapped && i < 512; ++i) words[i] = kTagMagic | (u64{core} << 32) | (u64{r} << 16) | i;
        }
    }

    // Tags, once every core is past its allocations of this phase: only we
    // may have written our Frames. Then the Frames of objects both holders
    // will delete are unmapped (a mapping holds a copy of its Frame: the
    // memory would stay in use); those of revoked objects stay mapped, and
    // the revoke must take the mapping with it.
    for (u32 r = 0; r < rounds; ++r) {
        for (int which = 0; which < 2; ++which) {
            if ((which == 0 ? theirs_frame : mine_frame)[r] == 0) continue;
            const u64 va = kFrameVa + (u64{r} * 2 + which) * kPageSize;
            auto* words = reinterpret_cast<volatile u64*>(va);
            bool intact = true;
            for (u64 i = 0; i < 512; ++i) intact = intact && words[i] == (kTagMagic | (u64{core} << 32) | (u64{r} << 16) | i);
            if (!intact) ++g_n.tags_bad;
            check(intact, "the tag in a Frame won is intact");
            if (r % 3 == 2) check(g_space.unmap_page(va).ok(), "a Frame to delete is unmapped");
        }
    }

    // ---- 2. and 4. Barriers: a token to each neighbour, theirs claimed ----
    u32 tokens[8] = {}, token_count = 0;
    auto barrier = [&](u32 round_seq) {
        for (u32 k = 0; k < 2; ++k) {
            u32 slot = next_slot();
            u64 ticket = 0;
            check(alloc(12, slot).ok() && send(slot, k == 0 ? next : previous, ticket).ok() &&
                      (ticket & 0xFFFFFF) == round_seq + k,
                  "a token sent to a neighbour");
            tokens[token_count++] = slot;
        }
        for (u32 k = 0; k < 2; ++k) {
            u32 slot = next_slot();
            // The previous core's token to us went to its next core, the next core's to its previous.
            check(claim(k == 0 ? previous : next, round_seq + k, slot).ok(), "a neighbour's token claimed");
            tokens[token_count++] = slot;
        }
    };
    barrier(rounds);

    // ---- 3. Fates ----
    u64 small_before = 0;
    for (u32 r = 0; r < rounds; ++r) {
        switch (r % 3) {
            case 0:
            case 1: {
                // 0: the receiver revokes (we revoke theirs); 1: the owner does (we revoke ours).
                u32 victim = r % 3 == 0 ? theirs[r] : mine[r];
                Status s = until_not_busy([&] { return ask(monitor.revoke_cap(victim)); }, g_n.busy);
                check(s.ok(), "revokeCap of a RAM object held on two cores");
                if (s.ok()) ++g_n.revokes;
                check(empty_slot(victim), "our copy went with the revoke");
                break;
            }
            default: {
                // Both holders delete, Frames first: one of the two RAM deletes is the last.
                for (u32* frame : {&theirs_frame[r], &mine_frame[r]}) {
                    if (*frame == 0) continue;
                    bool last = false;
                    check(del(*frame, last).ok(), "deleteCap of a Frame won");
                    ++g_n.frame_deletes;
                }
                for (u32 ram : {theirs[r], mine[r]}) {
                    bool last = false;
                    check(del(ram, last).ok(), "deleteCap of a RAM object held on two cores");
                    g_n.last_pairs += last;
                }
            }
        }
        // An allocation deleted here alone between the agreed operations.
        u32 small = next_slot();
        bool last = false;
        check(alloc(14, small).ok(), "allocRam of 16 KiB during the storm");
        u64 base = base_of(small);
        if (r > 0 && base == small_before) ++g_n.small_reused;
        small_before = base;
        check(del(small, last).ok() && last, "deleteCap of a piece never sent: local, and the last copy");
        g_n.local_last += last;
    }

    barrier(rounds + 2);

    // ---- 4. Nothing survives; memory given back is handed out again ----
    for (u32 r = 0; r < rounds; ++r) {
        bool all_gone = empty_slot(mine[r]) && empty_slot(theirs[r]) &&
                        (mine_frame[r] == 0 || empty_slot(mine_frame[r])) &&
                        (theirs_frame[r] == 0 || empty_slot(theirs_frame[r]));
        g_n.gone += all_gone;
        check(all_gone, "every capability of a revoked or deleted object is gone");
    }
    for (u32 r = 0; r < rounds; ++r) {
        u32 slot = next_slot();
        bool last = false;
        check(alloc(kObjectLog2, slot).ok(), "allocRam of 64 KiB after the storm");
        u64 base = base_of(slot);
        for (u32 k = 0; k < rounds; ++k) {
            if (base == mine_base[k]) {
                ++g_n.again;
                break;
            }
        }
        check(del(slot, last).ok() && last, "deleteCap of it: local, the last copy");
        g_n.local_last += last;
    }
    for (u32 k = 0; k < token_count; ++k) {
        bool last = false;
        check(del(tokens[k], last).ok(), "deleteCap of a token (held on two cores)");
        g_n.token_last += last;
    }
    const u64 ms = (rdtsc() - start) / (hz() / 1000 + 1);
    printf("CAPSTORM core=%u passed=%d failed=%d rounds=%u allocs=%u sends=%u claims=%u retypes=%u won=%u revokes=%u "
           "deletes=%u last_pairs=%u frame_deletes=%u token_last=%u local_last=%u small_reused=%u again=%u gone=%u "
           "tags_bad=%u busy=%u ms=%lu",
           core, g_passed, g_failed, rounds, g_n.allocs, g_n.sends, g_n.claims, g_n.retypes, g_n.won, g_n.revokes,
           g_n.deletes, g_n.last_pairs, g_n.frame_deletes, g_n.token_last, g_n.local_last, g_n.small_reused, g_n.again,
           g_n.gone, g_n.tags_bad, g_n.busy, ms);
    return g_failed == 0 ? 0 : 1;
}
