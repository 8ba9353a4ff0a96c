// Spanning trees: every core reaches the root, parent and children agree,
// and the depths are what the shapes promise.
#include "cluster.hpp"

using namespace agree_test;

namespace {

void check_tree(const Topology& t) {
    for (u8 root = 0; root < t.cores(); ++root) {
        CHECK(t.parent(root, root) == kNoCore);
        u64 reached = u64(1) << root;
        for (u8 c = 0; c < t.cores(); ++c) {
            if (c == root) continue;
            const u8 p = t.parent(root, c);
            REQUIRE(p < t.cores());
            CHECK((t.children(root, p) >> c & 1) == 1);
            int steps = 0;
            for (u8 at = c; at != root && steps <= t.cores(); at = t.parent(root, at)) ++steps;
            CHECK(steps <= t.depth(root));
            reached |= u64(1) << c;
        }
        CHECK(reached == t.everyone());
        // No core is anyone else's child too: children masks are disjoint.
        u64 seen = 0;
        for (u8 c = 0; c < t.cores(); ++c) {
            const u64 kids = t.children(root, c);
            CHECK((kids & seen) == 0);
            CHECK((kids >> root & 1) == 0);
            seen |= kids;
        }
        CHECK(seen == (t.everyone() & ~(u64(1) << root)));
    }
}

}  // namespace

TEST_CASE("Every shape is a spanning tree rooted at any core", "[agree]") {
    for (u8 n = 1; n <= 16; ++n) {
        check_tree(Topology::flat(n));
        for (u8 k : {1, 2, 3, 4}) check_tree(Topology::tree(n, k));
        for (u8 g : {1, 2, 4, 8}) check_tree(Topology::grouped(n, g));
    }
    check_tree(Topology::tree(64, 2));
    check_tree(Topology::grouped(64, 8));
}

TEST_CASE("Depths: flat is one hop, a binary tree is logarithmic, groups are two", "[agree]") {
    CHECK(Topology::flat(16).depth(5) == 1);
    CHECK(Topology::tree(16, 2).depth(0) == 4);  // positions 15 -> 7 -> 3 -> 1 -> 0
    CHECK(Topology::tree(16, 2).depth(9) == 4);
    CHECK(Topology::tree(64, 2).depth(3) == 6);
    CHECK(Topology::tree(16, 4).depth(0) == 2);
    CHECK(Topology::grouped(16, 4).depth(6) == 2);
    CHECK(Topology::grouped(16, 4).children(6, 6) == ((1u << 4) | (1u << 5) | (1u << 7) | 1u | (1u << 8) | (1u << 12)));
    CHECK(Topology::grouped(16, 4).children(6, 8) == ((1u << 9) | (1u << 10) | (1u << 11)));
}

TEST_CASE("Invalid topologies are recognised and refused by start", "[agree]") {
    CHECK_FALSE(Topology::flat(0).valid());
    CHECK_FALSE(Topology::flat(65).valid());
    CHECK_FALSE(Topology::tree(4, 0).valid());
    CHECK_FALSE(Topology::grouped(4, 0).valid());
    CHECK(Topology::flat(64).valid());
    struct Quiet final : Network {} net;
    CounterApp app;
    Engine e(0, Topology::tree(4, 0), net, app);
    CHECK(e.start(key_op(0, 1)).error() == Error::InvalidArgument);
    Engine outside(5, Topology::flat(4), net, app);
    CHECK(outside.start(key_op(0, 1)).error() == Error::InvalidArgument);
}
