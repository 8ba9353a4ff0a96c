// Destroying objects that hold slots: CNodes and slots embedded in other
// objects. Deleting their last capability deletes what is inside, to any
// depth, without recursion, reporting innermost objects first.
#include "support.hpp"

using namespace caps_test;

namespace {

constexpr u64 kPage = 4096;

Status retype_into(World& w, Cte& src, CapType type, u64 size, u64 count, Cte& cnode, u64 first, u64 offset) {
    RetypeArgs a;
    a.type = type;
    a.object_size = size;
    a.count = count;
    a.first_slot = first;
    a.offset = offset;
    return w.table.retype(src, a, cnode);
}

bool all_empty(const Cte* slots, u64 n) {
    for (u64 i = 0; i < n; ++i)
        if (!slots[i].empty() || slots[i].parent() != nullptr || slots[i].next() != nullptr) return false;
    return true;
}

}  // namespace

TEST_CASE("Deleting a CNode's last capability deletes what it holds", "[caps]") {
    World w;
    REQUIRE(w.retype_at(0, CapType::CNode, 16 * kCteBytes, 1, 10).ok());
    Cte* k = w.table.slots_of(w.s(10).cap());
    REQUIRE(retype_into(w, w.s(0), CapType::Frame, kPage, 5, w.s(10), 2, 4 * kPage).ok());
    REQUIRE(w.table.copy(k[2], w.s(20)).ok());  // one frame also has a copy outside
    w.watch(w.s(10).cap());
    REQUIRE(w.check().ok());
    Recorder r;
    auto out = w.table.delete_cap(w.s(10), &r);
    REQUIRE(out.ok());
    CHECK(out->kind == DeleteKind::LastCopy);
    CHECK(out->caps_deleted == 6);
    CHECK(out->objects_gone == 5);  // four frames and the CNode; one frame lives on
    REQUIRE(r.gone.size() == 5);
    CHECK(r.gone.back().cap.type == CapType::CNode);
    CHECK(all_empty(k, 16));
    CHECK_FALSE(w.s(20).empty());
    CHECK(w.s(20).parent() == &w.s(0));
    CHECK(w.check().ok());
}

TEST_CASE("A chain of CNodes, each holding the next one's last capability, dies innermost first", "[caps]") {
    World w;
    constexpr u64 kDepth = 24;
    REQUIRE(w.retype_at(0, CapType::CNode, 4 * kCteBytes, 1, 10).ok());
    Cte* holder = &w.s(10);
    Capability chain[kDepth];
    chain[0] = holder->cap();
    for (u64 i = 1; i < kDepth; ++i) {
        // Each CNode is 256 bytes; put them one after another in the RAM.
        REQUIRE(retype_into(w, w.s(0), CapType::CNode, 4 * kCteBytes, 1, *holder, 0, i * 4 * kCteBytes).ok());
        holder = &w.table.slots_of(holder->cap())[0];
        chain[i] = holder->cap();
    }
    REQUIRE(retype_into(w, w.s(0), CapType::Frame, kPage, 1, *holder, 1, 16 * kPage).ok());
    for (const Capability& c : chain) w.watch(c);
    REQUIRE(w.check().ok());

    Recorder r;
    auto out = w.table.delete_cap(w.s(10), &r);
    REQUIRE(out.ok());
    CHECK(out->caps_deleted == kDepth + 1);
    CHECK(out->objects_gone == kDepth + 1);
    REQUIRE(r.gone.size() == kDepth + 1);
    CHECK(r.gone[0].cap.type == CapType::Frame);
    for (u64 i = 0; i < kDepth; ++i) CHECK(r.gone[1 + i].cap == chain[kDepth - 1 - i]);
    for (const Capability& c : chain) CHECK(all_empty(w.table.slots_of(c), 4));
    CHECK(w.s(0).first_child() == nullptr);
    CHECK(verify(w.table).caps_in_tree == 2);
}

TEST_CASE("A CNode holding its own only capability is reclaimed by revoking its RAM", "[caps]") {
    World w;
    REQUIRE(w.retype_at(0, CapType::CNode, 8 * kCteBytes, 1, 10).ok());
    Cte* k = w.table.slots_of(w.s(10).cap());
    REQUIRE(w.table.copy(w.s(10), k[3]).ok());
    REQUIRE(retype_into(w, w.s(0), CapType::Frame, kPage, 1, w.s(10), 5, kPage).ok());
    auto out = w.table.delete_cap(w.s(10));
    REQUIRE(out.ok());
    CHECK(out->kind == DeleteKind::CopyRemains);  // the copy inside keeps it alive
    w.watch_slots(k, 8);
    REQUIRE(w.check().ok());

    Recorder r;
    auto rev = w.table.revoke(w.s(0), &r);
    REQUIRE(rev.ok());
    CHECK(rev->caps_deleted == 2);
    CHECK(rev->objects_gone == 2);
    CHECK(all_empty(k, 8));
    CHECK(w.check().ok());
}

TEST_CASE("Revoking RAM whose only capability lives in a CNode made from it", "[caps]") {
    World w;
    REQUIRE(w.retype_at(0, CapType::Frame, kPage, 2, 20).ok());
    REQUIRE(w.retype_at(0, CapType::CNode, 8 * kCteBytes, 1, 10, 4 * kPage).ok());
    REQUIRE(w.retype_at(0, CapType::Frame, kPage, 2, 22, 8 * kPage).ok());
    Cte* k = w.table.slots_of(w.s(10).cap());
    REQUIRE(w.table.copy(w.s(0), k[1]).ok());
    REQUIRE(w.table.delete_cap(w.s(0)).ok());
    w.watch_slots(k, 8);
    REQUIRE(w.check().ok());

    Recorder r;
    auto rev = w.table.revoke(k[1], &r);
    REQUIRE(rev.ok());
    CHECK(rev->revoker_deleted);
    CHECK(all_empty(k, 8));
    // The frames before the CNode were revoked; those after it outlive the
    // RAM and become roots.
    CHECK(w.s(20).empty());
    CHECK(w.s(21).empty());
    CHECK(w.s(22).parent() == &w.table.root());
    CHECK(w.s(23).parent() == &w.table.root());
    REQUIRE(r.gone.size() == 4);
    CHECK(r.gone[2].cap.type == CapType::Ram);
    CHECK(r.gone[2].had_descendants);
    CHECK(r.gone[3].cap.type == CapType::CNode);
    CHECK(w.check().ok());
}

TEST_CASE("Slots embedded in a dying object are emptied through the Reclaimer", "[caps]") {
    World w;
    Cte embedded[2];
    w.watch_slots(embedded, 2);
    REQUIRE(w.retype_at(0, CapType::Dispatcher, kDispatcherBytes, 1, 30).ok());
    REQUIRE(w.retype_at(0, CapType::CNode, 4 * kCteBytes, 1, 31, 0x400).ok());
    REQUIRE(w.retype_at(0, CapType::Frame, kPage, 1, 32, kPage).ok());
    Cte* k = w.table.slots_of(w.s(31).cap());
    REQUIRE(retype_into(w, w.s(0), CapType::Frame, kPage, 1, w.s(31), 2, 2 * kPage).ok());
    REQUIRE(w.table.copy(w.s(31), embedded[0]).ok());
    REQUIRE(w.table.delete_cap(w.s(31)).ok());
    REQUIRE(w.table.copy(w.s(32), embedded[1]).ok());
    w.watch_slots(k, 4);
    REQUIRE(w.check().ok());

    Recorder r;
    r.embedded[{CapType::Dispatcher, w.s(30).cap().base}] = Span<Cte>(embedded, 2);
    auto out = w.table.delete_cap(w.s(30), &r);
    REQUIRE(out.ok());
    CHECK(out->caps_deleted == 4);
    REQUIRE(r.gone.size() == 3);
    CHECK(r.gone[0].cap.type == CapType::Frame);
    CHECK(r.gone[1].cap.type == CapType::CNode);
    CHECK(r.gone[2].cap.type == CapType::Dispatcher);
    CHECK(all_empty(embedded, 2));
    CHECK(all_empty(k, 4));
    CHECK_FALSE(w.s(32).empty());
    CHECK(w.check().ok());

    // Without a Reclaimer a dispatcher has no slots to empty.
    REQUIRE(w.retype_at(0, CapType::Dispatcher, kDispatcherBytes, 1, 33).ok());
    auto plain = w.table.delete_cap(w.s(33));
    REQUIRE(plain.ok());
    CHECK(plain->objects_gone == 1);
}

TEST_CASE("Objects with remote copies inside a dying CNode live on", "[caps]") {
    World w;
    REQUIRE(w.retype_at(0, CapType::CNode, 4 * kCteBytes, 1, 10).ok());
    Cte* k = w.table.slots_of(w.s(10).cap());
    REQUIRE(retype_into(w, w.s(0), CapType::Frame, kPage, 2, w.s(10), 0, kPage).ok());
    REQUIRE(w.table.set_remote(k[0], Remote::Copies).ok());
    Recorder r;
    auto out = w.table.delete_cap(w.s(10), &r);
    REQUIRE(out.ok());
    CHECK(out->caps_deleted == 3);
    REQUIRE(r.gone.size() == 2);
    CHECK(r.gone[0].cap == Capability::frame(w.ram_base() + 2 * kPage, kPage));
    CHECK(r.gone[1].cap.type == CapType::CNode);
    CHECK(all_empty(k, 4));
    CHECK(w.check().ok());
}

TEST_CASE("Revoke deletes descendants held inside a descendant CNode", "[caps]") {
    World w;
    REQUIRE(w.retype_at(0, CapType::CNode, 64 * kCteBytes, 1, 10, 64 * kPage).ok());
    Cte* k = w.table.slots_of(w.s(10).cap());
    REQUIRE(retype_into(w, w.s(0), CapType::Frame, kPage, 64, w.s(10), 0, 0).ok());
    for (u64 i = 0; i < 8; ++i) REQUIRE(w.table.copy(k[i], w.s(100 + i)).ok());
    w.watch(w.s(10).cap());
    REQUIRE(w.check().ok());
    Recorder r;
    auto out = w.table.revoke(w.s(0), &r);
    REQUIRE(out.ok());
    CHECK(out->caps_deleted == 1 + 64 + 8);
    CHECK(out->objects_gone == 65);
    CHECK(all_empty(k, 64));
    CHECK(verify(w.table).caps_in_tree == 2);
}
