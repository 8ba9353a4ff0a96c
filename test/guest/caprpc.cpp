// Capabilities through IDL calls between programs on different cores
// (idl/tests/share.capnp; docs/idl.md, "Capabilities"), the last part of
// captest. Every core's copy serves the Share interface to the next core's
// copy and calls the previous core's, each over a CrossCoreChannel
// (lib/user/cross_core.hpp). As a client it lends a Frame of its own with a
// pattern (lend): the server receives it as a capability in its own space,
// maps it, checks the pattern and writes an answer that the client then
// reads in its own memory. It is given a Frame of the server's (give: a
// capability in the results), maps it, checks the server's pattern and
// answers, which the server checks (check). Then several capabilities in one
// one-way request (pass, count), the refusals of the sending side, and the
// cost of a call with and without a capability, measured with the TSC.
//
// The channel's Frame itself travels by ticket through the monitors; the
// ticket is agreed by convention here: every copy has sent exactly two
// capabilities before (captest's Frame and RAM), so its channel is its
// third offer: (core << 32) | tag << 24 | 2, where the tag is the program's
// own (docs/monitor.md: captest is started in the same place on every core,
// so every copy has the same tag). A program with a name service would look
// the ticket up instead.
#include "caprpc.hpp"

#include "base/sort.hpp"
#include "check.hpp"
#include "share.urpc.hpp"
#include "user/console.hpp"
#include "user/cross_core.hpp"

namespace mk::guest_test {
namespace {

using namespace mk::user;
namespace sh = mk::idl::share;
using sh::Share;
using Transport = CrossCoreChannel::Transport;

constexpr u64 kBase = 0x51000000000;
constexpr u64 kServeVa = kBase, kCallVa = kBase + 0x1000, kLendVa = kBase + 0x2000, kLentVa = kBase + 0x3000,
              kGiveVa = kBase + 0x4000, kGivenVa = kBase + 0x5000;
constexpr u32 kWords = 256;  // the pattern; the answer goes into the 256 words after it
constexpr u64 kChannelSeq = 2;
constexpr int kRounds = 32;

u64 pattern(u64 seed, u64 i) { return (seed << 24) ^ (i * 0x9E3779B97F4A7C15ull); }
u64 answer(u64 seed, u64 i) { return ~pattern(seed, i) + i; }

volatile u64* words_at(u64 va) { return reinterpret_cast<volatile u64*>(va); }

u64 tsc_hz() { return reinterpret_cast<const abi::DispatcherFrame*>(abi::kDispatcherFrameAddress)->tsc_hz; }

bool is_remote_frame(u32 slot) {
    abi::CapIdentity id{};
    return identify(slot, id) == Error::Ok && id.type == u64(CapType::Frame) && id.bytes == 4096 &&
           (id.remote & 1) != 0;
}

// The server: what the next core's copy calls.
struct ShareImpl {
    ShareImpl(CrossCoreChannel& c, AddressSpace& s) : ch(c), space(s) {}
    CrossCoreChannel& ch;
    AddressSpace& space;
    u32 given = 0;  // our Frame for give(), made once
    u64 given_seed = 0;
    idl::CapRef held[8] = {};
    u32 held_count = 0;
    u32 lends = 0, holds = 0, bad = 0;
    bool finished = false;

    Status lend(const Share::LendParams& p, Share::LendResults& r) {
        u32 slot = static_cast<u32>(p.memory.slot);
        Status s = p.words <= kWords ? Status{} : Status{Error::OutOfRange};
        if (s.ok() && !is_remote_frame(slot)) s = Error::WrongType;
        if (s.ok()) s = space.map_frame(kLentVa, slot, abi::kMapWrite);
        if (s.ok()) {
            u64 sum = 0;
            bool same = true;
            for (u32 i = 0; i < p.words; ++i) {
                u64 v = words_at(kLentVa)[i];
                same = same && v == pattern(p.seed, i);
                sum += v;
            }
            for (u32 i = 0; i < p.words; ++i) words_at(kLentVa)[kWords + i] = answer(p.seed, i);
            (void)space.unmap_page(kLentVa);
            r.sum = sum;
            if (!same) ++bad;
            ++lends;
        }
        ch.drop(p.memory);  // ours to delete, whatever happened
        return s;
    }

    Status give(const Share::GiveParams& p, Share::GiveResults& r) {
        if (given == 0) {
            Result<u32> f = space.make(u32(CapType::Frame), 12);
            if (!f.ok()) return f.error();
            given = *f;
            TRY_STATUS(space.map_frame(kGiveVa, given, abi::kMapWrite));
        }
        for (u32 i = 0; i < kWords; ++i) words_at(kGiveVa)[i] = pattern(p.seed, i);
        given_seed = p.seed;
        r.memory = idl::CapRef{given};  // a copy goes; ours stays
        return {};
    }

    Status check(const Share::CheckParams& p, Share::CheckResults& r) {
        r.answered = given != 0 && p.seed == given_seed;
        for (u32 i = 0; r.answered && i < kWords; ++i) r.answered = words_at(kGiveVa)[kWords + i] == answer(p.seed, i);
        return {};
    }

    Status hold(const Share::HoldParams& p, Share::HoldResults&) {
        if (!is_remote_frame(static_cast<u32>(p.memory.slot))) ++bad;
        ch.drop(p.memory);
        ++holds;
        return {};
    }

    Status ping(const Share::PingParams& p, Share::PingResults& r) {
        r.seed = p.seed;
        return {};
    }

    void pass(const Share::PassParams& p) {
        for (const idl::CapRef& c : p.memories.view()) {
            if (held_count < 8) {
                held[held_count++] = c;
            } else {
                ch.drop(c);
            }
        }
    }

    Status count(const Share::CountParams&, Share::CountResults& r) {
        r.held = 0;
        for (u32 i = 0; i < held_count; ++i) {
            if (is_remote_frame(static_cast<u32>(held[i].slot))) ++r.held;
            ch.drop(held[i]);
        }
        held_count = 0;
        return {};
    }

    Status done(const Share::DoneParams&, Share::DoneResults&) {
        finished = true;
        return {};
    }
};

}  // namespace

int run_cap_rpc(MonitorLink& link, AddressSpace& space, SlotAllocator& slots, u32 core, u32 cores) {
    int passed_before = g_passed, failed_before = g_failed;
    u32 next = (core + 1) % cores, previous = (core + cores - 1) % cores;

    // The channel we serve (to the next core) and the one we call on.
    // Patient: the previous copy may still be busy with captest's earlier parts.
    CrossCoreChannel serving(link, space, slots, next, 30 * tsc_hz());
    CrossCoreChannel calling(link, space, slots, previous, 30 * tsc_hz());
    Result<u64> ticket = serving.offer(kServeVa);
    check(ticket.ok() && (*ticket >> 32) == core && (*ticket & 0xFFFFFF) == kChannelSeq,
          "a channel offered to the next core");
    const u64 tag_bits = ticket.ok() ? *ticket & (u64{0xFF} << 24) : 0;
    Status joined = calling.join((u64{previous} << 32) | tag_bits | kChannelSeq, kCallVa);
    check(joined.ok(), "joined the previous core's channel");
    if (!ticket.ok() || !joined.ok()) {
        printf("CAPRPC core=%u no channel: offer %s, join %s", core, error_name(ticket.error()), error_name(joined.error()));
        return 1;
    }

    ShareImpl impl(serving, space);
    sh::ShareServer<ShareImpl, Transport> server(impl, serving.transport());
    sh::ShareClient<Transport> client(calling.transport());
    u64 give_up = read_tsc() + 90 * tsc_hz();

    // Waits for a call while serving our own server, yielding now and then.
    auto wait = [&](Result<idl::CallId> id) -> Status {
        if (!id.ok()) return id.error();
        for (u32 n = 0;; ++n) {
            (void)client.poll();
            Status s = client.status(*id);
            if (s.error() != Error::Empty) return s;
            (void)server.poll();
            if (read_tsc() > give_up) {
                client.cancel(*id);
                return Error::Timeout;
            }
            if (n % 1024 == 1023) yield();  // mostly spin: the peer answers from another core
        }
    };

    // lend: our memory, their slot.
    u64 seed = 0x100 + core;
    Result<u32> lent = space.make(u32(CapType::Frame), 12);
    check(lent.ok() && space.map_frame(kLendVa, *lent, abi::kMapWrite).ok(), "a Frame to lend, mapped");
    if (!lent.ok()) return 1;
    u64 expected = 0;
    for (u32 i = 0; i < kWords; ++i) {
        words_at(kLendVa)[i] = pattern(seed, i);
        words_at(kLendVa)[kWords + i] = 0;
        expected += pattern(seed, i);
    }
    Share::LendResults lr{};
    Status s = wait(client.lend(idl::CapRef{*lent}, seed, kWords, &lr));
    check(s.ok() && lr.sum == expected, "lend: the server read our pattern through the capability it received");
    if (!s.ok()) printf("lend: %s", error_name(s.error()));
    bool answered = true;
    for (u32 i = 0; i < kWords; ++i) answered = answered && words_at(kLendVa)[kWords + i] == answer(seed, i);
    check(answered, "lend: the server's answer is in our memory");
    check(is_remote_frame(*lent), "lend: we keep our Frame, marked as having a remote copy");

    // give: their memory, our slot.
    Share::GiveResults gr{};
    s = wait(client.give(seed + 1, &gr));
    u32 got = static_cast<u32>(gr.memory.slot);
    check(s.ok() && is_remote_frame(got), "give: a Frame of the server's arrives in a slot of ours");
    bool theirs = s.ok() && space.map_frame(kGivenVa, got, abi::kMapWrite).ok();
    for (u32 i = 0; theirs && i < kWords; ++i) theirs = words_at(kGivenVa)[i] == pattern(seed + 1, i);
    check(theirs, "give: it holds the server's pattern");
    for (u32 i = 0; theirs && i < kWords; ++i) words_at(kGivenVa)[kWords + i] = answer(seed + 1, i);
    if (s.ok()) {
        (void)space.unmap_page(kGivenVa);
        calling.drop(gr.memory);
    }
    Share::CheckResults cr{};
    check(wait(client.check(seed + 1, &cr)).ok() && cr.answered, "give: the server sees our answer in its memory");

    // Several capabilities in one one-way request.
    Result<u32> spare = space.make(u32(CapType::Frame), 12);
    idl::CapRef two[] = {idl::CapRef{*lent}, idl::CapRef{spare.value_or(0)}};
    check(spare.ok() && client.pass(Span<const idl::CapRef>(two, 2)).ok(), "pass: two capabilities, one-way");
    Share::CountResults held{};
    check(wait(client.count(&held)).ok() && held.held == 2, "pass: the server held both, as Frames of its own");

    // The sending side refuses what it cannot hand over; nothing is sent.
    u64 sent_before = calling.transport().stats().sent;
    check(client.hold(idl::CapRef{abi::cap_address(abi::kTaskCNode, abi::kTaskVSpace)}).error() == Error::WrongType,
          "a page table as a Memory parameter is refused (WrongType)");
    check(client.hold(idl::CapRef{abi::cap_address(abi::kSlotCNode2, 250)}).error() != Error::Ok,
          "an empty slot as a Memory parameter is refused");
    check(client.hold(idl::CapRef{u64{1} << 40}).error() == Error::InvalidArgument,
          "a number that is no slot address is refused");
    check(client.calls_in_flight() == 0 && calling.transport().stats().sent == sent_before,
          "refused calls send nothing");

    // The cost of a call with a capability, and of one without.
    // Only core 1's copy measures, calling core 0's: timing every copy at once
    // would measure each server waiting for its own copy's monitor calls.
    // The others make a few rounds without looking at the clock.
    u64 plain[kRounds] = {}, carrying[kRounds] = {};
    bool timed = true;
    const int rounds = core == 1 ? kRounds : 4;
    for (int i = 0; i < rounds; ++i) {
        Share::PingResults pr{};
        u64 t0 = read_tsc();
        timed = wait(client.ping(u64(i), &pr)).ok() && pr.seed == u64(i) && timed;
        u64 t1 = read_tsc();
        timed = wait(client.hold(idl::CapRef{*lent})).ok() && timed;
        u64 t2 = read_tsc();
        plain[i] = t1 - t0;
        carrying[i] = t2 - t1;
    }
    check(timed, "timed rounds of ping and hold all succeeded");
    sort_in_place(plain, usize(rounds));
    sort_in_place(carrying, usize(rounds));

    check(wait(client.done()).ok(), "done");
    // Serve until the next core's copy is done with us too.
    for (u32 n = 0; !impl.finished && read_tsc() < give_up; ++n) {
        (void)server.poll();
        if (n % 1024 == 1023) yield();
    }
    check(impl.finished, "the next core's copy finished its calls");
    check(impl.bad == 0 && impl.lends == 1 && impl.holds == (next == 1 ? u32(kRounds) : 4u),
          "our server saw every capability as a remote Frame and the right pattern");
    const idl::OfferStats& in = serving.transport().stats();
    const idl::OfferStats& out = calling.transport().stats();
    check(in.released == 0 && in.discarded == 0 && in.abandoned == 0, "no capability was given back or lost");
    u64 per_us = tsc_hz() / 1000000 + 1;
    printf("CAPRPC core=%u passed=%d failed=%d sent=%lu received=%lu claim_retries=%lu rounds=%d "
           "ping_cycles=%lu cap_cycles=%lu ping_us=%lu cap_us=%lu ping_min_us=%lu cap_min_us=%lu",
           core, g_passed - passed_before, g_failed - failed_before, out.sent, in.received, in.retries, rounds,
           plain[rounds / 2], carrying[rounds / 2], plain[rounds / 2] / per_us, carrying[rounds / 2] / per_us,
           plain[0] / per_us, carrying[0] / per_us);
    return g_failed == failed_before ? 0 : 1;
}

}  // namespace mk::guest_test
