// The invariant checker must notice each kind of corruption; a checker that
// passes everything would make every other test here meaningless.
#include "support.hpp"

using namespace caps_test;
using mk::caps::detail::Links;

namespace {

constexpr u64 kPage = 4096;

// RAM in slot 0 with two copies (1, 2); frames at pages 0, 2, 4 in slots
// 10..12 (made through slot 1); a Frame child of slot 11 in slot 20.
struct Corruptible {
    Corruptible() {
        REQUIRE(w.table.copy(w.s(0), w.s(1)).ok());
        REQUIRE(w.table.copy(w.s(1), w.s(2)).ok());
        for (u64 i = 0; i < 3; ++i) REQUIRE(w.retype_at(1, CapType::Frame, 2 * kPage, 1, 10 + i, 4 * i * kPage).ok());
        REQUIRE(w.retype_at(11, CapType::Frame, kPage, 1, 20).ok());
        REQUIRE(w.check().ok());
    }
    std::string problem() { return describe(w.check()); }
    World w;
};

}  // namespace

TEST_CASE("verify passes a healthy table and counts its capabilities", "[caps]") {
    Corruptible c;
    auto r = c.w.check();
    CHECK(r.ok());
    CHECK(r.caps_in_tree == 8);  // the CNode, three RAM copies, four frames
    CHECK(r.caps_in_slots == 8);
}

TEST_CASE("verify names each broken invariant", "[caps]") {
    Corruptible c;
    auto& s = c.w;
    SECTION("a Null capability in the tree") {
        Links::cap(s.s(11)) = Capability{};
        CHECK(c.problem() == "empty slot in the tree");
    }
    SECTION("a malformed capability") {
        Links::cap(s.s(10)).reserved32 = 1;
        CHECK(c.problem() == "malformed capability");
    }
    SECTION("prev and next disagree") {
        Links::prev(s.s(12)) = &s.s(10);
        CHECK(c.problem() == "next sibling does not link back");  // seen first from s(11)
        Links::next(s.s(11)) = nullptr;
        CHECK(c.problem() == "prev and next links disagree");
    }
    SECTION("next does not link back") {
        Links::next(s.s(12)) = &s.s(10);
        CHECK(c.problem() == "next sibling does not link back");
    }
    SECTION("the first sibling is not its parent's first child") {
        Links::first_child(s.s(0)) = &s.s(11);
        CHECK(c.problem() == "first sibling is not its parent's first child");
    }
    SECTION("a child's parent link is wrong") {
        Links::parent(s.s(20)) = &s.s(10);
        CHECK(c.problem() == "first child does not link back");
    }
    SECTION("siblings overlap") {
        Links::cap(s.s(11)).base = s.ram_base() + 1 * kPage;  // overlaps the frame at pages 0..1
        Links::cap(s.s(20)).base = s.ram_base() + 1 * kPage;
        CHECK(c.problem() == "siblings overlap");
    }
    SECTION("siblings out of order") {
        Links::cap(s.s(11)).base = s.ram_base() + 12 * kPage;
        Links::cap(s.s(20)).base = s.ram_base() + 12 * kPage;
        CHECK(c.problem() == "siblings out of order");
    }
    SECTION("a child outside its parent") {
        Links::cap(s.s(20)).base = s.ram_base() + 8 * kPage;
        CHECK(c.problem() == "child outside its parent");
    }
    SECTION("a child of a type its parent cannot make") {
        Links::cap(s.s(20)).type = CapType::Pt;
        CHECK(c.problem() == "child type cannot come from its parent");
    }
    SECTION("a same-type child as large as its parent") {
        Links::cap(s.s(20)).bytes = 2 * kPage;
        CHECK(c.problem() == "same-type child not smaller than its parent");
    }
    SECTION("copies with different remote flags") {
        Links::cap(s.s(2)).remote = Remote::Copies;
        CHECK(c.problem() == "copies disagree on remote flags");
    }
    SECTION("children on a copy that is not the group head") {
        // Move the frames' parent link to the second copy, consistently.
        Links::first_child(s.s(2)) = Links::first_child(s.s(0));
        Links::first_child(s.s(0)) = nullptr;
        for (Cte* f = Links::first_child(s.s(2)); f != nullptr; f = Links::next(*f)) Links::parent(*f) = &s.s(2);
        CHECK(c.problem() == "a copy other than the group head has children");
    }
    SECTION("a cycle among siblings is refused") {
        Links::next(s.s(12)) = &s.s(10);
        Links::prev(s.s(10)) = &s.s(12);
        CHECK_FALSE(verify(s.table).ok());
    }
    SECTION("a cycle through a child is refused") {
        Links::first_child(s.s(20)) = &s.s(11);
        CHECK(c.problem() == "first child does not link back");
    }
    SECTION("the step budget bounds the walk") {
        auto r = verify(s.table, {}, false, 5);
        REQUIRE_FALSE(r.ok());
        CHECK(std::string(r.problem) == "step budget exhausted: a cycle?");
        CHECK(verify(s.table, {}, false, 20).ok());
    }
    SECTION("an empty slot with links") {
        Links::next(s.s(50)) = &s.s(10);
        CHECK(c.problem() == "empty slot with links");
    }
    SECTION("a capability in a slot but not in the tree") {
        Links::cap(s.s(60)) = Capability::frame(s.ram_base() + 64 * kPage, kPage);
        Links::parent(s.s(60)) = &s.s(61);
        Links::first_child(s.s(61)) = &s.s(60);
        Links::cap(s.s(61)) = Capability::ram(s.ram_base() + 64 * kPage, 2 * kPage);
        CHECK(c.problem() == "slot not linked into the tree");
    }
    SECTION("the tree holds a capability no scanned slot holds") {
        Cte outside;
        REQUIRE(s.table.copy(s.s(10), outside).ok());
        CHECK(c.problem() == "the tree and the slots hold different capabilities");
        CHECK(s.check(false).ok());
        REQUIRE(s.table.delete_cap(outside).ok());
    }
    SECTION("the root holds something") {
        Links::next(const_cast<Cte&>(s.table.root())) = &s.s(10);
        CHECK(c.problem() == "the root has a capability or sibling links");
        Links::next(const_cast<Cte&>(s.table.root())) = nullptr;
    }
}
