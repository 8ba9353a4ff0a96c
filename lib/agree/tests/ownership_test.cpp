// The replicated ownership map and the capability-operation encoding, driven
// through real engines.
#include "agree/capops.hpp"
#include "agree/ownership.hpp"
#include "cluster.hpp"

using namespace agree_test;

namespace {

constexpr u64 kChunk = 1 << 20;

// n cores, each with an ownership map over 16 chunks, dealt round-robin.
struct MemCluster {
    struct Node final : Network {
        Node(MemCluster* m, u8 c, u8 n) : mc(m), core(c), map(c, n, 0x100000000, kChunk, 16) {}
        void send(u8 to, const Message& m) override { mc->queues[core * 64 + to].push_back(m); }
        MemCluster* mc;
        u8 core;
        OwnershipMap map;
        Router router;
        std::unique_ptr<Engine> engine;
    };
    explicit MemCluster(u8 n) {
        for (u8 c = 0; c < n; ++c) nodes.push_back(std::make_unique<Node>(this, c, n));
        for (auto& node : nodes) {
            for (u32 k = 0; k < 16; ++k) REQUIRE(node->map.assign(k, u8(k % n)).ok());
            node->router.route(kFamilyOwnership, node->map);
            node->engine = std::make_unique<Engine>(node->core, Topology::tree(n, 2), *node, node->router);
        }
    }
    void run() {
        for (bool any = true; any;) {
            any = false;
            for (auto& [key, q] : queues)
                while (!q.empty()) {
                    Message m = q.front();
                    q.pop_front();
                    CHECK(nodes[key % 64]->engine->receive(m) == Receipt::Accepted);
                    any = true;
                }
        }
    }
    std::vector<std::unique_ptr<Node>> nodes;
    std::map<int, std::deque<Message>> queues;
};

}  // namespace

TEST_CASE("Chunk moves encode into one operation and back", "[agree]") {
    ChunkMove m{12, 3, 2, 5};
    ChunkMove back;
    REQUIRE(decode(encode(m), &back));
    CHECK(back.first == 12);
    CHECK(back.count == 3);
    CHECK(back.from == 2);
    CHECK(back.to == 5);
    OwnershipMap map(0, 4, 0, kChunk, 16);
    CHECK(map.well_formed(encode(m)) == false);  // core 5 of 4
    CHECK(map.well_formed(encode(ChunkMove{12, 3, 2, 1})));
    CHECK_FALSE(map.well_formed(encode(ChunkMove{12, 5, 2, 1})));  // past the end
    CHECK_FALSE(map.well_formed(encode(ChunkMove{1, 1, 2, 2})));   // to itself
    CHECK_FALSE(map.well_formed(encode(ChunkMove{1, 0, 2, 1})));   // nothing
}

TEST_CASE("Local allocation needs no messages; moving chunks is agreed by every replica", "[agree]") {
    MemCluster mc(4);
    OwnershipMap& m1 = mc.nodes[1]->map;
    CHECK(m1.owned_count(1) == 4);
    for (int i = 0; i < 4; ++i) REQUIRE(m1.allocate().ok());
    CHECK(m1.allocate().error() == Error::NoMemory);
    CHECK(mc.queues.empty());
    // Core 1 ran dry: it asks core 2 for one of its chunks.
    const u32 first = mc.nodes[1]->map.find_run(2, 1);
    CHECK(first == 2);
    REQUIRE(mc.nodes[1]->engine->start(encode(ChunkMove{6, 1, 2, 1})).ok());
    mc.run();
    for (auto& n : mc.nodes) {
        CHECK(n->map.owner(6) == 1);
        CHECK(n->map.same_owners(m1));
    }
    CHECK(m1.allocate().value_or(99) == 6);
}

TEST_CASE("A chunk in use or owned by someone else is not moved", "[agree]") {
    MemCluster mc(3);
    auto c = mc.nodes[2]->map.allocate();  // chunk 2
    REQUIRE(c.ok());
    REQUIRE(mc.nodes[0]->engine->start(encode(ChunkMove{2, 1, 2, 0})).ok());
    mc.run();
    // A stale view: chunk 3 belongs to core 0, not core 1.
    REQUIRE(mc.nodes[1]->engine->start(encode(ChunkMove{3, 1, 1, 2})).ok());
    mc.run();
    for (auto& n : mc.nodes) {
        CHECK(n->map.owner(2) == 2);
        CHECK(n->map.owner(3) == 0);
        CHECK_FALSE(n->map.pledged(2));
        CHECK_FALSE(n->map.pledged(3));
    }
    CHECK(mc.nodes[0]->engine->stats().refused == 1);
    CHECK(mc.nodes[1]->engine->stats().refused == 1);
}

TEST_CASE("A pledged chunk is not allocated before the decision", "[agree]") {
    OwnershipMap m(1, 2, 0, kChunk, 2);
    REQUIRE(m.assign(0, 1).ok());
    REQUIRE(m.assign(1, 1).ok());
    const Op move = encode(ChunkMove{0, 1, 1, 0});
    REQUIRE(m.prepare(move) == Vote::Yes);
    CHECK(m.allocate().value_or(99) == 1);
    CHECK(m.allocate().error() == Error::NoMemory);
    m.abort(move);
    CHECK(m.allocate().value_or(99) == 0);
}

TEST_CASE("Chunks in no pool are never allocated or moved; digests compare replicas", "[agree]") {
    OwnershipMap a(0, 2, 0, kChunk, 4), b(1, 2, 0, kChunk, 4);
    for (OwnershipMap* m : {&a, &b}) {
        REQUIRE(m->assign(0, kNoCore).ok());
        REQUIRE(m->assign(1, 0).ok());
        REQUIRE(m->assign(2, 1).ok());
        REQUIRE(m->assign(3, kNoCore).ok());
    }
    CHECK(a.assign(0, 2).error() == Error::OutOfRange);  // core 2 does not exist
    CHECK(a.digest() == b.digest());
    CHECK(a.allocate().value_or(99) == 1);
    CHECK(a.allocate().error() == Error::NoMemory);  // chunks 0 and 3 are nobody's
    const Op from_nobody = encode(ChunkMove{0, 1, kNoCore, 1});
    CHECK_FALSE(b.well_formed(from_nobody));
    const Op move = encode(ChunkMove{2, 1, 1, 0});
    REQUIRE(b.prepare(move) == Vote::Yes);
    REQUIRE(a.prepare(move) == Vote::Yes);
    b.commit(move, 0);
    CHECK(a.digest() != b.digest());  // a has not applied it yet
    a.commit(move, 0);
    CHECK(a.digest() == b.digest());
    CHECK(a.owner(2) == 0);
}

TEST_CASE("Capability operations encode, and malformed ones are refused", "[agree]") {
    struct Yes final : CapParticipant {
        Vote check(const CapOp&) override { return Vote::Yes; }
    } local;
    CapAgreement a(4, local);
    CapOp op{CapAction::Retype, caps::CapType::Frame, 1, 0x200000, 0x2000, 0b0110};
    CapOp back;
    REQUIRE(decode(encode(op), &back));
    CHECK(back.action == CapAction::Retype);
    CHECK(back.type == caps::CapType::Frame);
    CHECK(back.issuer == 1);
    CHECK(back.base == 0x200000);
    CHECK(back.bytes == 0x2000);
    CHECK(back.holders == 0b0110);
    CHECK(a.well_formed(encode(op)));
    Claim claims[kMaxClaims];
    REQUIRE(a.claims(encode(op), claims) == 1);
    CHECK(claims[0].begin == 0x200000);
    CHECK(claims[0].end == 0x202000);
    CapOp bad = op;
    bad.bytes = 0x3000;  // not a power of two
    CHECK_FALSE(a.well_formed(encode(bad)));
    bad = op;
    bad.base = 0x201000;  // not aligned to its size
    CHECK_FALSE(a.well_formed(encode(bad)));
    bad = op;
    bad.holders = 0b10000;  // core 4 of 4
    CHECK_FALSE(a.well_formed(encode(bad)));
    bad = op;
    bad.type = caps::CapType::Dispatcher;  // core-local: only the issuer may hold it
    bad.bytes = caps::kDispatcherBytes;
    bad.base = 0x200000;
    CHECK_FALSE(a.well_formed(encode(bad)));
    bad.holders = 0b10;
    CHECK(a.well_formed(encode(bad)));
    bad = op;
    bad.action = CapAction::Revoke;  // holders only for retype
    CHECK_FALSE(a.well_formed(encode(bad)));
    bad.holders = 0;
    CHECK(a.well_formed(encode(bad)));
    Op raw = encode(op);
    raw.action = 9;
    CHECK_FALSE(a.well_formed(raw));
    CHECK(std::string(cap_action_name(CapAction::DeleteLast)) == "DeleteLast");
}
