// Two-level CSpace resolution and every error it reports.
#include "support.hpp"

using namespace caps_test;

namespace {

// A CSpace: root CNode of 16 slots (its cap kept in `root`); L1 slot 2 holds
// an L2 CNode of 256 slots, L1 slot 3 a small L2 CNode of 4 slots, L1 slot 5
// a Frame. The L2 slot 2.7 holds a Frame.
struct CSpaceWorld {
    CSpaceWorld() {
        REQUIRE(w.retype_at(0, CapType::CNode, 16 * kCteBytes, 1, 10).ok());
        REQUIRE(w.table.copy(w.s(10), root).ok());
        w.watch(root.cap());
        Cte* l1 = w.table.slots_of(root.cap());
        REQUIRE(w.retype_at(0, CapType::CNode, 256 * kCteBytes, 1, 11, 0x10000).ok());
        REQUIRE(w.table.copy(w.s(11), l1[2]).ok());
        w.watch(l1[2].cap());
        REQUIRE(w.retype_at(0, CapType::CNode, 4 * kCteBytes, 1, 12, 0x20000).ok());
        REQUIRE(w.table.copy(w.s(12), l1[3]).ok());
        w.watch(l1[3].cap());
        REQUIRE(w.retype_at(0, CapType::Frame, 4096, 2, 13, 0x30000).ok());
        REQUIRE(w.table.copy(w.s(13), l1[5]).ok());
        Cte* l2 = w.table.slots_of(l1[2].cap());
        REQUIRE(w.table.copy(w.s(14), l2[7]).ok());
        w.watch_slots(&root, 1);
        REQUIRE(w.check().ok());
    }
    Cte* l1() { return w.table.slots_of(root.cap()); }

    World w;
    Cte root;
};

}  // namespace

TEST_CASE("Capability addresses pack an L1 and an L2 index", "[caps]") {
    CHECK(cap_addr(2, 7) == 0x207);
    CHECK(l1_index(0x1234ab) == 0x1234);
    CHECK(l2_index(0x1234ab) == 0xab);
    CHECK(cap_addr(1, 0x1ff) == 0x1ff);  // L2 bits are masked
}

TEST_CASE("lookup resolves both levels to the right slot", "[caps]") {
    CSpaceWorld c;
    auto frame = lookup(c.w.table, c.root, cap_addr(2, 7));
    REQUIRE(frame.ok());
    CHECK(*frame == &c.w.table.slots_of(c.l1()[2].cap())[7]);
    CHECK((*frame)->cap().type == CapType::Frame);
    auto empty = lookup(c.w.table, c.root, cap_addr(2, 8));
    REQUIRE(empty.ok());
    CHECK((*empty)->empty());
    auto small = lookup(c.w.table, c.root, cap_addr(3, 3));
    REQUIRE(small.ok());
    CHECK(*small == &c.w.table.slots_of(c.l1()[3].cap())[3]);
    auto l1 = lookup(c.w.table, c.root, cap_addr(2, 0), Level::L1);
    REQUIRE(l1.ok());
    CHECK(*l1 == &c.l1()[2]);
    auto l1_empty = lookup(c.w.table, c.root, cap_addr(15, 0), Level::L1);
    REQUIRE(l1_empty.ok());
    CHECK((*l1_empty)->empty());

    auto typed = lookup_cap(c.w.table, c.root, cap_addr(2, 7), CapType::Frame);
    REQUIRE(typed.ok());
    CHECK(*typed == *frame);
    CHECK(lookup_cap(c.w.table, c.root, cap_addr(2, 7), CapType::Null).ok());
    CHECK(lookup_cap(c.w.table, c.root, cap_addr(3, 0), CapType::CNode, Level::L1).ok());
}

TEST_CASE("lookup reports every broken step by name", "[caps]") {
    CSpaceWorld c;
    auto& t = c.w.table;
    Cte empty_root;
    CHECK(lookup(t, empty_root, 0).error() == Error::InvalidCap);
    CHECK(lookup(t, c.w.s(13), 0).error() == Error::WrongType);             // root is a Frame
    CHECK(lookup(t, c.root, cap_addr(16, 0)).error() == Error::OutOfRange);  // root has 16 slots
    CHECK(lookup(t, c.root, cap_addr(16, 0), Level::L1).error() == Error::OutOfRange);
    CHECK(lookup(t, c.root, cap_addr(4, 0)).error() == Error::InvalidCap);   // empty L1 slot
    CHECK(lookup(t, c.root, cap_addr(5, 0)).error() == Error::WrongType);    // L1 slot holds a Frame
    CHECK(lookup(t, c.root, cap_addr(3, 4)).error() == Error::OutOfRange);   // L2 CNode has 4 slots
    CHECK(lookup(t, c.root, cap_addr(2, 1), Level::L1).error() == Error::InvalidArgument);
    CHECK(lookup(t, c.root, 0, Level(3)).error() == Error::InvalidArgument);
    CHECK(lookup_cap(t, c.root, cap_addr(2, 8), CapType::Null).error() == Error::InvalidCap);
    CHECK(lookup_cap(t, c.root, cap_addr(2, 7), CapType::Ram).error() == Error::WrongType);
    CHECK(lookup_cap(t, c.root, cap_addr(4, 0), CapType::Frame).error() == Error::InvalidCap);
    CHECK(lookup_cap(t, c.root, cap_addr(4, 0), CapType::CNode, Level::L1).error() == Error::InvalidCap);
}

TEST_CASE("A deleted L2 CNode capability makes its addresses invalid", "[caps]") {
    CSpaceWorld c;
    REQUIRE(c.w.table.delete_cap(c.l1()[2]).ok());  // a copy remains in s(11): nothing is destroyed
    CHECK(lookup(c.w.table, c.root, cap_addr(2, 7)).error() == Error::InvalidCap);
    REQUIRE(c.w.table.copy(c.w.s(11), c.l1()[2]).ok());
    CHECK(lookup_cap(c.w.table, c.root, cap_addr(2, 7), CapType::Frame).ok());
    CHECK(c.w.check().ok());
}
