// Capabilities in generated stubs (lib/idl/caps.hpp, lib/idl/cap_offers.hpp;
// docs/idl.md, "Capabilities"), on the host: two "cores", each with a real
// capability table (lib/caps) of its own, and the Share interface
// (idl/tests/share.capnp) between them over an in-memory channel. What the
// monitors do in the guest, an OfferAgent does here with the same steps: the
// sender's copy is marked as having a remote copy and its description goes
// into the peer's offer table after a delay (the mesh); a claim makes it a
// root of the receiver's table with the Copies flag. The policy under test is
// the one the guest runs: the stubs' hooks and OfferCaps.
#include <catch2/catch.hpp>

#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "caps/table.hpp"
#include "fixture.hpp"
#include "idl/cap_offers.hpp"
#include "share.urpc.hpp"

namespace {

using namespace idltest;
using mk::u32;
using mk::u64;
using mk::usize;
using mk::caps::CapTable;
using mk::caps::CapType;
using mk::caps::Capability;
using mk::caps::Cte;
using mk::caps::Remote;
using mk::idl::CapRef;
namespace sh = mk::idl::share;
using sh::Share;

// One side: a capability table and kSlots slots (slot i is capability
// address i), and memory to make Frames of.
struct Space {
    static constexpr usize kSlots = 32;
    CapTable table{0};
    std::unique_ptr<Cte[]> slots{new Cte[kSlots]};
    mk::u64 next_frame;

    explicit Space(mk::u64 memory_base) : next_frame(memory_base) {}
    Cte& s(u64 i) { return slots[i]; }
    // A Frame of its own (as if retyped from its RAM) in slot i.
    void make_frame(u32 i) {
        REQUIRE(table.create_root(s(i), Capability::frame(next_frame, 4096)).ok());
        next_frame += 4096;
    }
    usize used() const {
        usize n = 0;
        for (usize i = 0; i < kSlots; ++i) n += slots[i].empty() ? 0 : 1;
        return n;
    }
};

struct Offer {
    u64 ticket;
    Capability cap;
    int delay;  // keep_waiting rounds before it reaches the receiver's table
};

// What the two monitors hold: offers on their way and offers arrived.
struct Monitors {
    std::deque<Offer> travelling;
    std::map<u64, Capability> arrived;
    int delay = 0;         // rounds of the mesh each new offer takes
    bool lose_next = false;  // the next offer never arrives
    void step() {
        for (Offer& o : travelling) --o.delay;
        while (!travelling.empty() && travelling.front().delay <= 0) {
            arrived[travelling.front().ticket] = travelling.front().cap;
            travelling.pop_front();
        }
    }
};

// The OfferAgent of one side: what a program's monitor does for it.
struct Agent {
    Agent(Space& s, Monitors& in, Monitors& out, u32 self, u32 other)
        : space(s), mine(in), peers(out), core(self), peer(other) {}
    Space& space;
    Monitors& mine;   // offers for this side
    Monitors& peers;  // offers for the peer
    u32 core, peer;
    u32 seq = 0;
    u32 first_free = 16;  // slots from here on are handed out for arriving capabilities
    u32 patience = 20;
    std::vector<u32> free_list;

    mk::Result<u64> offer(u32 slot) {
        if (slot >= Space::kSlots || space.s(slot).empty()) return Error::InvalidCap;
        const Capability& c = space.s(slot).cap();
        if (c.type != CapType::Frame && c.type != CapType::Ram) return Error::WrongType;
        REQUIRE(space.table.set_remote(space.s(slot), Remote::Copies).ok());
        u64 ticket = (u64{core} << 32) | seq++;
        if (peers.lose_next) {
            peers.lose_next = false;
        } else {
            peers.travelling.push_back(Offer{ticket, space.s(slot).cap(), peers.delay});
            peers.step();
        }
        return ticket;
    }
    Status claim(u64 ticket, u32 slot) {
        auto it = mine.arrived.find(ticket);
        if (it == mine.arrived.end()) return Error::NotFound;
        if (!space.s(slot).empty()) return Error::SlotOccupied;
        Capability c = it->second;
        c.remote = Remote::Copies;
        TRY_STATUS(space.table.create_root(space.s(slot), c));
        mine.arrived.erase(it);
        return {};
    }
    bool expects(u64 ticket) const { return (ticket >> 32) == peer; }
    mk::Result<u32> free_slot() {
        if (!free_list.empty()) {
            u32 s = free_list.back();
            free_list.pop_back();
            return s;
        }
        for (u32 i = first_free; i < Space::kSlots; ++i) {
            if (space.s(i).empty() && !handed_out(i)) {
                out.push_back(i);
                return i;
            }
        }
        return Error::Full;
    }
    void release(u32 slot) {
        erase(slot);
        free_list.push_back(slot);
    }
    void erase(u32 slot) {
        if (slot < Space::kSlots && !space.s(slot).empty()) REQUIRE(space.table.delete_cap(space.s(slot)).ok());
    }
    bool keep_waiting(u32 attempt) {
        mine.step();
        return attempt < patience;
    }

    std::vector<u32> out;
    bool handed_out(u32 i) const {
        for (u32 o : out) {
            if (o == i) return true;
        }
        return false;
    }
};
static_assert(mk::idl::OfferAgent<Agent>);

using Caps = mk::idl::OfferCaps<Port, Agent>;
static_assert(mk::idl::CapTransport<Caps>);
static_assert(!mk::idl::CapTransport<Port>);
static_assert(mk::idl::CarriesCaps<Share::LendParams>);
static_assert(mk::idl::CarriesCaps<Share::GiveResults>);
static_assert(!mk::idl::CarriesCaps<Share::PingParams>);

constexpr u32 kSpare = 15;  // each side's spare slot for discarding offers

struct ShareImpl {
    explicit ShareImpl(Space& s) : space(s) {}
    Space& space;
    Agent* agent = nullptr;  // to delete what the handler is done with
    std::vector<Capability> seen;  // what arrived, as this side's table has it
    int calls = 0;

    void note(CapRef c) {
        REQUIRE(c.slot < Space::kSlots);
        seen.push_back(space.s(c.slot).cap());
    }
    Status lend(const Share::LendParams& p, Share::LendResults& r) {
        ++calls;
        note(p.memory);
        r.sum = p.seed + p.words;
        return {};
    }
    Status give(const Share::GiveParams&, Share::GiveResults& r) {
        ++calls;
        r.memory = CapRef{3};  // a Frame of ours; a copy goes
        return {};
    }
    Status check(const Share::CheckParams&, Share::CheckResults& r) {
        r.answered = true;
        return {};
    }
    Status hold(const Share::HoldParams& p, Share::HoldResults&) {
        ++calls;
        note(p.memory);
        agent->release(static_cast<u32>(p.memory.slot));
        return {};
    }
    Status ping(const Share::PingParams& p, Share::PingResults& r) {
        r.seed = p.seed;
        return {};
    }
    void pass(const Share::PassParams& p) {
        ++calls;
        for (CapRef c : p.memories.view()) note(c);
    }
    Status count(const Share::CountParams&, Share::CountResults& r) {
        r.held = static_cast<u32>(seen.size());
        return {};
    }
    Status done(const Share::DoneParams&, Share::DoneResults&) { return {}; }
};
static_assert(sh::ShareHandler<ShareImpl>);

// Client on core 1 (space a), server on core 0 (space b).
struct World {
    Space a{0x100000}, b{0x200000};
    Monitors to_b, to_a;  // offers for b, offers for a
    Agent agent_a{a, to_a, to_b, 1, 0}, agent_b{b, to_b, to_a, 0, 1};
    Channel ch;
    Caps caps_a{ch.client, agent_a, kSpare}, caps_b{ch.server, agent_b, kSpare};
    ShareImpl impl{b};
    sh::ShareClient<Caps> client{caps_a};
    sh::ShareServer<ShareImpl, Caps> server{impl, caps_b};

    World() {
        impl.agent = &agent_b;
        a.make_frame(2);
        b.make_frame(3);
    }
    void run() {
        for (int i = 0; i < 100; ++i) {
            (void)server.poll();
            (void)client.poll();
        }
    }
    Status call(mk::Result<mk::idl::CallId> id) {
        if (!id.ok()) return id.error();
        run();
        return client.status(*id);
    }
};

bool names_same_object(const Capability& x, const Capability& y) {
    return x.type == y.type && x.base == y.base && x.bytes == y.bytes;
}

}  // namespace

TEST_CASE("A capability parameter arrives in a slot of the receiver's own table", "[idl][caps]") {
    World w;
    w.to_b.delay = 3;  // the message is faster than the offer: the claim waits
    Share::LendResults r;
    REQUIRE(w.call(w.client.lend(CapRef{2}, 7, 9, &r)).ok());
    CHECK(r.sum == 16);
    REQUIRE(w.impl.seen.size() == 1);
    const Capability& got = w.impl.seen[0];
    CHECK(names_same_object(got, w.a.s(2).cap()));
    CHECK(got.remote == Remote::Copies);
    CHECK(w.a.s(2).cap().remote == Remote::Copies);  // the sender keeps its own, marked
    CHECK(w.b.used() == 2);                          // its own Frame and the one received
    CHECK(w.to_b.arrived.empty());
    CHECK(w.caps_b.stats().received == 1);
    CHECK(w.caps_b.stats().retries >= 2);
    CHECK(w.caps_a.stats().sent == 1);
}

TEST_CASE("A capability result arrives in a slot of the caller's table", "[idl][caps]") {
    World w;
    Share::GiveResults r;
    REQUIRE(w.call(w.client.give(1, &r)).ok());
    REQUIRE(r.memory.slot < Space::kSlots);
    CHECK(r.memory.slot != 3);  // a slot of the caller's, not the server's number
    CHECK(names_same_object(w.a.s(r.memory.slot).cap(), w.b.s(3).cap()));
    CHECK(w.b.s(3).cap().remote == Remote::Copies);
    CHECK(w.caps_a.stats().received == 1);
    // A reply with capabilities needs somewhere to put them.
    CHECK(w.client.give(1).error() == Error::InvalidArgument);
    CHECK(w.caps_b.stats().sent == 1);
}

TEST_CASE("Several capabilities in one one-way request, and a released one", "[idl][caps]") {
    World w;
    w.a.make_frame(4);
    const CapRef two[] = {{2}, {4}};
    REQUIRE(w.client.pass(mk::Span<const CapRef>(two, 2)).ok());
    w.run();
    REQUIRE(w.impl.seen.size() == 2);
    CHECK(names_same_object(w.impl.seen[0], w.a.s(2).cap()));
    CHECK(names_same_object(w.impl.seen[1], w.a.s(4).cap()));
    CHECK(w.b.used() == 3);
    // hold() deletes what it got: the table is as before and the slot is reused.
    REQUIRE(w.call(w.client.hold(CapRef{2})).ok());
    CHECK(w.b.used() == 3);
    CHECK(w.agent_b.free_list.size() == 1);
}

TEST_CASE("No free slot: an error reply, and the offer is taken off the table and deleted", "[idl][caps]") {
    World w;
    w.agent_b.first_free = Space::kSlots;  // nothing to give
    w.to_b.delay = 2;
    REQUIRE(w.call(w.client.hold(CapRef{2})).error() == Error::Full);
    CHECK(w.impl.calls == 0);
    CHECK(w.b.used() == 1);  // its own Frame only: nothing was left in a slot
    CHECK(w.to_b.arrived.empty());
    CHECK(w.to_b.travelling.empty());
    CHECK(w.caps_b.stats().discarded == 1);
}

TEST_CASE("A message is received whole or not at all", "[idl][caps]") {
    World w;
    w.a.make_frame(4);
    w.a.make_frame(5);
    // One free slot for three capabilities: the first is received, the second
    // finds no slot; the first is released, the second and third discarded.
    w.agent_b.first_free = Space::kSlots - 1;
    const CapRef three[] = {{2}, {4}, {5}};
    REQUIRE(w.client.pass(mk::Span<const CapRef>(three, 3)).ok());
    w.run();
    CHECK(w.impl.calls == 0);
    CHECK(w.b.used() == 1);
    CHECK(w.to_b.arrived.empty());
    CHECK(w.caps_b.stats().received == 1);
    CHECK(w.caps_b.stats().released == 1);
    CHECK(w.caps_b.stats().discarded == 2);
    CHECK(w.server.stats().rejected == 1);
    CHECK(w.server.stats().last_error == Error::Full);
}

TEST_CASE("An offer that never arrives ends the call with Timeout", "[idl][caps]") {
    World w;
    w.to_b.lose_next = true;
    REQUIRE(w.call(w.client.hold(CapRef{2})).error() == Error::Timeout);
    CHECK(w.impl.calls == 0);
    CHECK(w.b.used() == 1);
    CHECK(w.caps_b.stats().retries == w.agent_b.patience);
    CHECK(w.agent_b.free_list.size() == 1);  // the slot it had taken is free again
    // The next call goes through.
    REQUIRE(w.call(w.client.hold(CapRef{2})).ok());
    CHECK(w.impl.calls == 1);
}

TEST_CASE("A ticket the peer cannot have made is refused; nothing is claimed", "[idl][caps]") {
    World w;
    w.agent_a.core = 7;  // the client's tickets name core 7, not the peer core 1
    REQUIRE(w.call(w.client.hold(CapRef{2})).error() == Error::BadMessage);
    CHECK(w.impl.calls == 0);
    CHECK(w.b.used() == 1);
    CHECK(w.to_b.arrived.size() == 1);  // not ours to take
}

TEST_CASE("The sending side refuses what it cannot hand over, and sends nothing", "[idl][caps]") {
    World w;
    CHECK(w.client.hold(CapRef{9}).error() == Error::InvalidCap);  // an empty slot
    REQUIRE(w.a.table.create_root(w.a.s(6), Capability::io(0x60, 4)).ok());
    CHECK(w.client.hold(CapRef{6}).error() == Error::WrongType);
    CHECK(w.client.hold(CapRef{u64{1} << 40}).error() == Error::InvalidArgument);
    CHECK(w.ch.up.q.empty());
    CHECK(w.client.calls_in_flight() == 0);
    CHECK(w.caps_a.stats().sent == 0);
    // Calls without capabilities are untouched by all this.
    Share::PingResults r;
    REQUIRE(w.call(w.client.ping(5, &r)).ok());
    CHECK(r.seed == 5);
}

TEST_CASE("A transport that cannot move capabilities refuses messages that hold one", "[idl][caps]") {
    // The kitchen interface over a plain in-memory channel: no capability hooks.
    Channel ch;
    KitchenImpl impl;
    k::KitchenClient<Port> client(ch.client);
    k::KitchenServer<KitchenImpl, Port> server(impl, ch.server);
    K::AttachResults r;
    const CapRef caps[] = {{10}, {11}};
    CHECK(client.attach(CapRef{5}, mk::Span<const CapRef>(caps, 2), &r).error() == Error::Unsupported);
    CHECK(ch.up.q.empty());
    CHECK(client.calls_in_flight() == 0);

    // A peer that sends one anyway gets an error reply; the handler never
    // sees the number.
    K::AttachParams p;
    p.sink = CapRef{5};
    mk::u8 body[K::kMaxRequestBytes];
    mk::idl::Writer w(body, sizeof body);
    k::encode(w, p);
    REQUIRE(w.status().ok());
    REQUIRE(w.size() <= mk::idl::kFragmentBytes);
    mk::idl::Header h;
    h.interface_tag = K::kTag;
    h.method = 4;
    h.call = 1;
    h.count = 1;
    h.length = static_cast<mk::u8>(w.size());
    Payload pl{};
    pl.w[0] = h.pack();
    mk::idl::body_store(pl, body, w.size());
    CHECK(server.accept(pl).error() == Error::Unsupported);
    REQUIRE(ch.down.q.size() == 1);
    mk::idl::Header reply = mk::idl::Header::unpack(ch.down.q.front().w[0]);
    CHECK((reply.reply && reply.error && reply.call == 1));

    // With no capability in it (an empty list is allowed, a single field is
    // not), a message needs no hooks: count_caps says what would be refused.
    K::AttachParams none;
    CHECK(mk::idl::count_caps(none) == 1);
}
