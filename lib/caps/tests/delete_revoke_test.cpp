// Delete and revoke: what survives, what is reported, and completeness on
// deep and wide trees.
#include "support.hpp"

using namespace caps_test;

namespace {

constexpr u64 kPage = 4096;

u64 count_children(const Cte& head) {
    u64 n = 0;
    for (const Cte* c = head.first_child(); c != nullptr; c = c->next()) ++n;
    return n;
}

}  // namespace

TEST_CASE("Deleting a copy leaves the object and its children alone", "[caps]") {
    World w;
    REQUIRE(w.table.copy(w.s(0), w.s(1)).ok());
    REQUIRE(w.table.copy(w.s(0), w.s(2)).ok());
    REQUIRE(w.retype_at(1, CapType::Frame, kPage, 3, 10).ok());
    Recorder r;
    // Deleting the group head hands the children to the next copy.
    auto out = w.table.delete_cap(w.s(0), &r);
    REQUIRE(out.ok());
    CHECK(out->kind == DeleteKind::CopyRemains);
    CHECK_FALSE(out->had_descendants);
    CHECK_FALSE(out->needs_agreement());
    CHECK(out->caps_deleted == 1);
    CHECK(out->objects_gone == 0);
    CHECK(r.gone.empty());
    CHECK(w.s(0).empty());
    CHECK(w.s(10).parent() == &w.s(2));  // copies were ordered 0, 2, 1
    CHECK(count_children(w.s(2)) == 3);
    CHECK(w.check().ok());
    REQUIRE(w.table.delete_cap(w.s(1), &r).ok());
    CHECK(w.s(12).parent() == &w.s(2));
    CHECK(w.check().ok());
}

TEST_CASE("Deleting the last copy reports the object, once", "[caps]") {
    World w;
    REQUIRE(w.retype_at(0, CapType::Frame, kPage, 1, 10).ok());
    Recorder r;
    auto out = w.table.delete_cap(w.s(10), &r);
    REQUIRE(out.ok());
    CHECK(out->kind == DeleteKind::LastCopy);
    CHECK(out->cap.type == CapType::Frame);
    CHECK(out->cap.base == w.ram_base());
    CHECK_FALSE(out->had_descendants);
    CHECK(out->objects_gone == 1);
    REQUIRE(r.gone.size() == 1);
    CHECK(r.gone[0].cap == out->cap);
    CHECK_FALSE(r.gone[0].had_descendants);
    CHECK(w.s(0).first_child() == nullptr);
    CHECK(w.retype_at(0, CapType::Frame, kPage, 1, 11).ok());  // the range is free again
    CHECK(w.check().ok());
}

TEST_CASE("A last copy's descendants are re-attached to its parent", "[caps]") {
    World w;
    REQUIRE(w.retype_at(0, CapType::Ram, 64 * kPage, 1, 10).ok());
    REQUIRE(w.retype_at(0, CapType::Frame, kPage, 1, 9, 128 * kPage).ok());
    REQUIRE(w.retype_at(10, CapType::Ram, 16 * kPage, 2, 11).ok());
    REQUIRE(w.retype_at(11, CapType::Frame, kPage, 2, 13).ok());
    Recorder r;
    auto out = w.table.delete_cap(w.s(10), &r);
    REQUIRE(out.ok());
    CHECK(out->kind == DeleteKind::LastCopy);
    CHECK(out->had_descendants);
    REQUIRE(r.gone.size() == 1);
    CHECK(r.gone[0].had_descendants);
    CHECK(w.s(11).parent() == &w.s(0));
    CHECK(w.s(12).parent() == &w.s(0));
    CHECK(w.s(13).parent() == &w.s(11));  // grandchildren keep their parent
    CHECK(count_children(w.s(0)) == 3);   // 11, 12 and the frame in 9
    CHECK(w.check().ok());
    // A later revoke of the ancestor still reaches them.
    auto rev = w.table.revoke(w.s(0), &r);
    REQUIRE(rev.ok());
    CHECK(rev->caps_deleted == 5);
    for (u64 i : {9, 11, 12, 13, 14}) CHECK(w.s(i).empty());
    CHECK(w.check().ok());
}

TEST_CASE("A root's descendants become roots when its last copy goes", "[caps]") {
    World w;
    REQUIRE(w.retype_at(0, CapType::Ram, 4 * kPage, 2, 10).ok());
    REQUIRE(w.table.delete_cap(w.s(0)).ok());
    CHECK(w.s(10).parent() == &w.table.root());
    CHECK(w.s(11).parent() == &w.table.root());
    auto id = w.table.identify(w.s(10));
    REQUIRE(id.ok());
    CHECK_FALSE(id->local_parent);
    CHECK(w.check().ok());
}

TEST_CASE("Delete and revoke of an empty slot fail and change nothing", "[caps]") {
    World w;
    expect_unchanged_failure(w, Error::InvalidCap, [&] { return err(w.table.delete_cap(w.s(3))); });
    expect_unchanged_failure(w, Error::InvalidCap, [&] { return err(w.table.revoke(w.s(3))); });
}

TEST_CASE("Revoke leaves exactly the revoked capability", "[caps]") {
    World w;
    REQUIRE(w.table.copy(w.s(0), w.s(1)).ok());
    REQUIRE(w.table.mint(w.s(1), w.s(2), Rights::Read, 0).ok());
    REQUIRE(w.retype_at(2, CapType::Ram, 64 * kPage, 2, 10).ok());
    REQUIRE(w.retype_at(0, CapType::Frame, kPage, 4, 20, 128 * kPage).ok());
    REQUIRE(w.retype_at(10, CapType::Frame, 4 * kPage, 2, 30).ok());
    REQUIRE(w.table.copy(w.s(30), w.s(32)).ok());
    REQUIRE(w.retype_at(30, CapType::Frame, kPage, 4, 40).ok());
    const Capability ram10 = w.s(10).cap(), frame30 = w.s(30).cap(), frame31 = w.s(31).cap();
    const Capability frame40 = w.s(40).cap();
    Recorder r;
    // Revoke through a copy that is neither the first nor the last.
    auto out = w.table.revoke(w.s(1), &r);
    REQUIRE(out.ok());
    CHECK_FALSE(out->revoker_deleted);
    CHECK_FALSE(out->needs_agreement);
    CHECK(out->caps_deleted == 2 + 2 + 4 + 3 + 4);
    CHECK(out->objects_gone == 2 + 4 + 2 + 4);  // the copied frame counts once
    CHECK(r.gone.size() == out->objects_gone);
    for (u64 i = 0; i < World::kSlots; ++i) {
        if (i == 1) continue;
        CAPTURE(i);
        CHECK(w.s(i).empty());
    }
    CHECK(w.s(1).first_child() == nullptr);
    // Its only sibling is the other root, the test CNode's capability.
    CHECK(w.s(1).prev() == &w.cnode);
    CHECK(w.s(1).next() == nullptr);
    CHECK(w.s(1).cap().rights == Rights::All);
    // Leaves are reported before their parents.
    auto when = [&](const Capability& c) {
        for (usize i = 0; i < r.gone.size(); ++i)
            if (same_object(r.gone[i].cap, c)) return i;
        return r.gone.size();
    };
    CHECK(when(frame40) < when(frame30));
    CHECK(when(frame30) < when(ram10));
    CHECK(when(frame31) < when(ram10));
    CHECK(when(ram10) < r.gone.size());
    CHECK(w.retype_at(1, CapType::Frame, World::kRamBytes / 2, 2, 100).ok());
    CHECK(w.check().ok());
}

TEST_CASE("Revoke of a capability with nothing derived deletes nothing", "[caps]") {
    World w;
    REQUIRE(w.retype_at(0, CapType::Frame, kPage, 1, 10).ok());
    auto out = w.table.revoke(w.s(10));
    REQUIRE(out.ok());
    CHECK(out->caps_deleted == 0);
    CHECK(out->objects_gone == 0);
    CHECK_FALSE(w.s(10).empty());
    CHECK(w.check().ok());
}

TEST_CASE("Revoke is complete on a deep chain", "[caps]") {
    World w;
    // RAM halves down to 8 KiB, a Frame, then Frames halving to 4 KiB:
    // 1 MiB root -> 512K -> ... -> 8K (7 levels) -> Frame 8K -> Frame 4K.
    u64 slot = 0;
    u64 size = World::kRamBytes / 2;
    while (size >= 2 * kPage) {
        REQUIRE(w.retype_at(slot, CapType::Ram, size, 1, slot + 1).ok());
        ++slot;
        size /= 2;
    }
    REQUIRE(w.retype_at(slot, CapType::Frame, 2 * kPage, 1, slot + 1).ok());
    REQUIRE(w.retype_at(slot + 1, CapType::Frame, kPage, 2, slot + 2).ok());
    const u64 made = slot + 3;
    CHECK(w.check().ok());
    Recorder r;
    auto out = w.table.revoke(w.s(0), &r);
    REQUIRE(out.ok());
    CHECK(out->caps_deleted == made);
    CHECK(r.gone.size() == made);
    for (u64 i = 1; i <= made; ++i) CHECK(w.s(i).empty());
    CHECK(w.check().ok());
}

TEST_CASE("Revoke is complete on a wide tree with copies everywhere", "[caps]") {
    World w;
    AlignedBuffer more(4 * World::kSlots * sizeof(Cte));
    Cte* extra = static_cast<Cte*>(more.data());
    for (u64 i = 0; i < 4 * World::kSlots; ++i) new (&extra[i]) Cte();
    w.watch_slots(extra, 4 * World::kSlots);
    REQUIRE(w.retype_at(0, CapType::Frame, kPage, 200, 10).ok());
    for (u64 i = 0; i < 200; ++i) REQUIRE(w.table.copy(w.s(10 + i), extra[i]).ok());
    for (u64 i = 0; i < 200; i += 2) REQUIRE(w.table.mint(extra[i], extra[200 + i], Rights::Read, 0).ok());
    REQUIRE(w.table.copy(w.s(0), extra[600]).ok());
    CHECK(w.check().ok());
    Recorder r;
    auto out = w.table.revoke(extra[600], &r);
    REQUIRE(out.ok());
    CHECK(out->caps_deleted == 1 + 200 + 200 + 100);
    CHECK(out->objects_gone == 200);
    CHECK(w.check().ok());
    auto left = verify(w.table);
    CHECK(left.caps_in_tree == 2);  // the revoker and the test CNode
}
