// Copy, mint, identify and create_root: capabilities at an existing level.
#include "support.hpp"

using namespace caps_test;

namespace {

constexpr u64 kPage = 4096;

// An Endpoint in slot 10 (retyped from the RAM in slot 0).
void make_endpoint(World& w) { REQUIRE(w.retype_at(0, CapType::Endpoint, kEndpointBytes, 1, 10).ok()); }

}  // namespace

TEST_CASE("Copy makes an equal capability next to the source, at its level", "[caps]") {
    World w;
    REQUIRE(w.retype_at(0, CapType::Frame, kPage, 1, 10).ok());
    REQUIRE(w.table.copy(w.s(10), w.s(11)).ok());
    CHECK(w.s(11).cap() == w.s(10).cap());
    CHECK(w.s(11).parent() == w.s(10).parent());
    CHECK(w.s(10).next() == &w.s(11));
    REQUIRE(w.table.copy(w.s(10), w.s(12)).ok());  // goes between 10 and 11
    CHECK(w.s(10).next() == &w.s(12));
    CHECK(w.s(12).next() == &w.s(11));
    // Copies of a root are roots.
    REQUIRE(w.table.copy(w.s(0), w.s(1)).ok());
    CHECK(w.s(1).parent() == &w.table.root());
    CHECK(w.check().ok());
}

TEST_CASE("Copy errors: empty source, occupied destination", "[caps]") {
    World w;
    expect_unchanged_failure(w, Error::InvalidCap, [&] { return err(w.table.copy(w.s(5), w.s(6))); });
    REQUIRE(w.retype_at(0, CapType::Frame, kPage, 1, 10).ok());
    expect_unchanged_failure(w, Error::SlotOccupied, [&] { return err(w.table.copy(w.s(0), w.s(10))); });
    expect_unchanged_failure(w, Error::SlotOccupied, [&] { return err(w.table.copy(w.s(10), w.s(10))); });
    CHECK(w.check().ok());
}

TEST_CASE("Mint: any subset of the rights, never more", "[caps]") {
    for (u8 have = 0; have < 16; ++have) {
        World w;
        REQUIRE(w.table.mint(w.s(0), w.s(1), Rights(have), 0).ok());
        for (u8 want = 0; want < 16; ++want) {
            CAPTURE(have, want);
            if ((want & have) == want) {
                REQUIRE(w.table.mint(w.s(1), w.s(2), Rights(want), 0).ok());
                CHECK(w.s(2).cap().rights == Rights(want));
                CHECK(same_object(w.s(2).cap(), w.s(0).cap()));
                REQUIRE(w.table.delete_cap(w.s(2)).ok());
            } else {
                expect_unchanged_failure(w, Error::NoRights,
                                         [&] { return err(w.table.mint(w.s(1), w.s(2), Rights(want), 0)); });
            }
        }
        CHECK(w.check().ok());
    }
}

TEST_CASE("Rights only shrink along a chain of mints", "[caps]") {
    World w;
    REQUIRE(w.table.mint(w.s(0), w.s(1), Rights::Read | Rights::Write | Rights::Grant, 0).ok());
    REQUIRE(w.table.mint(w.s(1), w.s(2), Rights::Read | Rights::Grant, 0).ok());
    REQUIRE(w.table.mint(w.s(2), w.s(3), Rights::Read, 0).ok());
    CHECK(w.table.mint(w.s(3), w.s(4), Rights::Read | Rights::Write, 0).error() == Error::NoRights);
    CHECK(w.table.mint(w.s(2), w.s(4), Rights::Write, 0).error() == Error::NoRights);
    CHECK(w.table.copy(w.s(3), w.s(4)).ok());
    CHECK(w.s(4).cap().rights == Rights::Read);
    // Retype passes the invoked copy's rights on.
    REQUIRE(w.retype_at(3, CapType::Frame, kPage, 1, 10).ok());
    CHECK(w.s(10).cap().rights == Rights::Read);
    CHECK(w.check().ok());
}

TEST_CASE("Mint sets a badge on an Endpoint only, and only once", "[caps]") {
    World w;
    make_endpoint(w);
    REQUIRE(w.table.mint(w.s(10), w.s(11), Rights::Write, 42).ok());
    CHECK(w.s(11).cap().badge() == 42);
    CHECK(w.s(11).cap().rights == Rights::Write);
    CHECK(same_object(w.s(11).cap(), w.s(10).cap()));
    CHECK(w.s(10).next() == &w.s(11));  // a badged copy is a copy, at the same level
    REQUIRE(w.table.mint(w.s(11), w.s(12), Rights::Write, 0).ok());
    CHECK(w.s(12).cap().badge() == 42);  // 0 keeps the badge
    REQUIRE(w.table.mint(w.s(11), w.s(13), Rights::Write, 42).ok());
    expect_unchanged_failure(w, Error::NoRights, [&] { return err(w.table.mint(w.s(11), w.s(14), Rights::Write, 7)); });
    expect_unchanged_failure(w, Error::WrongType, [&] { return err(w.table.mint(w.s(0), w.s(14), Rights::All, 7)); });
    expect_unchanged_failure(w, Error::InvalidCap, [&] { return err(w.table.mint(w.s(14), w.s(15), Rights::All, 0)); });
    expect_unchanged_failure(w, Error::SlotOccupied, [&] { return err(w.table.mint(w.s(10), w.s(12), Rights::Read, 0)); });
    // Rights are checked before the badge.
    expect_unchanged_failure(w, Error::NoRights, [&] { return err(w.table.mint(w.s(11), w.s(14), Rights::Read, 0)); });
    CHECK(w.check().ok());
}

TEST_CASE("Identify reports the capability and its local relations", "[caps]") {
    World w;
    auto root = w.table.identify(w.s(0));
    REQUIRE(root.ok());
    CHECK(root->cap.type == CapType::Ram);
    CHECK(root->cap.base == w.ram_base());
    CHECK(root->cap.bytes == World::kRamBytes);
    CHECK_FALSE(root->local_copies);
    CHECK_FALSE(root->local_descendants);
    CHECK_FALSE(root->local_parent);

    REQUIRE(w.table.copy(w.s(0), w.s(1)).ok());
    REQUIRE(w.retype_at(0, CapType::Endpoint, kEndpointBytes, 1, 10).ok());
    REQUIRE(w.table.mint(w.s(10), w.s(11), Rights::Write, 5).ok());
    REQUIRE(w.table.set_remote(w.s(0), Remote::Copies).ok());
    auto copy = w.table.identify(w.s(1));
    REQUIRE(copy.ok());
    CHECK(copy->local_copies);
    CHECK(copy->local_descendants);  // children hang on the group, seen from any copy
    CHECK(copy->cap.remote == Remote::Copies);
    auto ep = w.table.identify(w.s(11));
    REQUIRE(ep.ok());
    CHECK(ep->cap.type == CapType::Endpoint);
    CHECK(ep->cap.badge() == 5);
    CHECK(ep->cap.rights == Rights::Write);
    CHECK(ep->local_parent);
    CHECK(ep->local_copies);
    CHECK_FALSE(ep->local_descendants);
    CHECK(w.table.identify(w.s(20)).error() == Error::InvalidCap);
}

TEST_CASE("create_root installs boot and received capabilities", "[caps]") {
    World w;
    const PhysAddr far = u64(1) << 32;  // no host memory there: never dereferenced
    REQUIRE(w.table.create_root(w.s(1), Capability::ram(far, 0x7f00000)).ok());
    REQUIRE(w.table.create_root(w.s(2), Capability::frame(far + 0x7f00000, 0x1000)).ok());  // adjacent
    REQUIRE(w.table.create_root(w.s(3), Capability::irq_line(1)).ok());
    REQUIRE(w.table.create_root(w.s(4), Capability::irq_line(2)).ok());
    REQUIRE(w.table.create_root(w.s(5), Capability::io(0, kIoPortCount)).ok());
    REQUIRE(w.table.create_root(w.s(6), Capability::kernel()).ok());
    REQUIRE(w.table.create_root(w.s(7), Capability::kernel(Rights::Read)).ok());  // joins as a copy
    CHECK((w.s(6).next() == &w.s(7) || w.s(7).next() == &w.s(6)));
    CHECK(w.check().ok());

    expect_unchanged_failure(w, Error::InvalidArgument,
                             [&] { return err(w.table.create_root(w.s(8), Capability::ram(far, 0x1800))); });
    expect_unchanged_failure(w, Error::InvalidArgument, [&] { return err(w.table.create_root(w.s(8), Capability{})); });
    expect_unchanged_failure(w, Error::SlotOccupied,
                             [&] { return err(w.table.create_root(w.s(1), Capability::irq_line(3))); });
    expect_unchanged_failure(w, Error::Overlap,
                             [&] { return err(w.table.create_root(w.s(8), Capability::frame(far + 0x1000, 0x1000))); });
    expect_unchanged_failure(w, Error::Overlap, [&] {
        return err(w.table.create_root(w.s(8), Capability::ram(far - 0x1000, 0x2000)));
    });
    expect_unchanged_failure(w, Error::Overlap,
                             [&] { return err(w.table.create_root(w.s(8), Capability::io(0x60, 1))); });

    // A received copy of an existing root joins its group; the flags unite.
    Capability received = Capability::frame(far + 0x7f00000, 0x1000, Rights::Read);
    received.remote = Remote::Copies;
    REQUIRE(w.table.create_root(w.s(9), received).ok());
    CHECK(w.s(9).cap().rights == Rights::Read);
    CHECK(w.s(2).cap().remote == Remote::Copies);
    CHECK(w.s(9).cap().remote == Remote::Copies);
    CHECK(w.check().ok());
}
