// Remote-relation flags: how they are set, inherited and reported, and when
// they make a local answer not final.
#include "support.hpp"

using namespace caps_test;

namespace {

constexpr u64 kPage = 4096;

}  // namespace

TEST_CASE("set_remote marks every local copy and copies inherit the flags", "[caps]") {
    World w;
    REQUIRE(w.table.copy(w.s(0), w.s(1)).ok());
    REQUIRE(w.table.copy(w.s(1), w.s(2)).ok());
    REQUIRE(w.table.set_remote(w.s(1), Remote::Copies | Remote::Ancestors).ok());
    for (u64 i = 0; i < 3; ++i) CHECK(w.s(i).cap().remote == (Remote::Copies | Remote::Ancestors));
    REQUIRE(w.table.mint(w.s(2), w.s(3), Rights::Read, 0).ok());
    CHECK(w.s(3).cap().remote == (Remote::Copies | Remote::Ancestors));
    REQUIRE(w.table.set_remote(w.s(3), Remote::None).ok());
    for (u64 i = 0; i < 4; ++i) CHECK(w.s(i).cap().remote == Remote::None);
    CHECK(w.check().ok());
}

TEST_CASE("set_remote errors change nothing", "[caps]") {
    World w;
    REQUIRE(w.retype_at(0, CapType::CNode, 4 * kCteBytes, 1, 10).ok());
    REQUIRE(w.retype_at(0, CapType::Dispatcher, kDispatcherBytes, 1, 11, kPage).ok());
    REQUIRE(w.retype_at(0, CapType::Endpoint, kEndpointBytes, 1, 12, 2 * kPage).ok());
    REQUIRE(w.table.create_root(w.s(13), Capability::kernel()).ok());
    expect_unchanged_failure(w, Error::InvalidCap, [&] { return err(w.table.set_remote(w.s(20), Remote::Copies)); });
    for (u64 i = 10; i <= 13; ++i) {
        expect_unchanged_failure(w, Error::WrongType, [&] { return err(w.table.set_remote(w.s(i), Remote::Copies)); });
        CHECK(w.table.set_remote(w.s(i), Remote::Ancestors).ok());
    }
    expect_unchanged_failure(w, Error::InvalidArgument, [&] { return err(w.table.set_remote(w.s(0), Remote(9))); });
    // Page tables may be shared by a domain spanning cores.
    REQUIRE(w.retype_at(0, CapType::Pml4, kPage, 1, 14, 3 * kPage).ok());
    CHECK(w.table.set_remote(w.s(14), Remote::Copies).ok());
    w.watch(w.s(10).cap());
    CHECK(w.check().ok());
}

TEST_CASE("Deleting the last local copy of an object with remote copies is not final", "[caps]") {
    World w;
    REQUIRE(w.retype_at(0, CapType::Frame, kPage, 1, 10).ok());
    REQUIRE(w.table.copy(w.s(10), w.s(11)).ok());
    REQUIRE(w.table.set_remote(w.s(10), Remote::Copies).ok());
    Recorder r;
    auto first = w.table.delete_cap(w.s(10), &r);
    REQUIRE(first.ok());
    CHECK(first->kind == DeleteKind::CopyRemains);
    CHECK_FALSE(first->needs_agreement());
    auto last = w.table.delete_cap(w.s(11), &r);
    REQUIRE(last.ok());
    CHECK(last->kind == DeleteKind::LastLocalCopy);
    CHECK(last->needs_agreement());
    CHECK(last->objects_gone == 0);
    CHECK(r.gone.empty());
    CHECK(std::string(delete_kind_name(last->kind)) == "LastLocalCopy");
    CHECK(w.check().ok());
}

TEST_CASE("Children of an object that lives on only remotely keep a remote ancestor", "[caps]") {
    World w;
    REQUIRE(w.retype_at(0, CapType::Ram, 16 * kPage, 1, 10).ok());
    REQUIRE(w.retype_at(10, CapType::Frame, kPage, 2, 11).ok());
    REQUIRE(w.table.copy(w.s(11), w.s(13)).ok());
    REQUIRE(w.table.set_remote(w.s(10), Remote::Copies).ok());
    auto out = w.table.delete_cap(w.s(10));
    REQUIRE(out.ok());
    CHECK(out->kind == DeleteKind::LastLocalCopy);
    CHECK(out->had_descendants);
    for (u64 i : {11, 12, 13}) {
        CHECK(w.s(i).parent() == &w.s(0));
        CHECK(w.s(i).cap().remote == Remote::Ancestors);
    }
    CHECK(w.check().ok());
}

TEST_CASE("Deleting an object with remote descendants needs agreement", "[caps]") {
    World w;
    REQUIRE(w.retype_at(0, CapType::Ram, 16 * kPage, 1, 10).ok());
    REQUIRE(w.table.set_remote(w.s(10), Remote::Descendants).ok());
    Recorder r;
    auto out = w.table.delete_cap(w.s(10), &r);
    REQUIRE(out.ok());
    CHECK(out->kind == DeleteKind::LastCopy);
    CHECK(out->had_descendants);  // they are remote, but they exist
    CHECK(out->needs_agreement());
    REQUIRE(r.gone.size() == 1);
    CHECK(r.gone[0].had_descendants);

    REQUIRE(w.retype_at(0, CapType::Ram, 16 * kPage, 1, 11).ok());
    REQUIRE(w.table.set_remote(w.s(11), Remote::Ancestors).ok());
    auto plain = w.table.delete_cap(w.s(11), &r);
    REQUIRE(plain.ok());
    CHECK_FALSE(plain->needs_agreement());
    CHECK_FALSE(plain->had_descendants);
}

TEST_CASE("Revoke of an object with remote relations does the local part and says so", "[caps]") {
    World w;
    REQUIRE(w.retype_at(0, CapType::Frame, kPage, 4, 10).ok());
    REQUIRE(w.table.copy(w.s(0), w.s(1)).ok());
    for (Remote flags : {Remote::Copies, Remote::Descendants, Remote::Copies | Remote::Descendants}) {
        REQUIRE(w.table.set_remote(w.s(0), flags).ok());
        auto out = w.table.revoke(w.s(0));
        REQUIRE(out.ok());
        CHECK(out->needs_agreement);
        CHECK(w.s(0).cap().remote == flags);  // cleared by the monitor once the others agree
        REQUIRE(w.retype_at(0, CapType::Frame, kPage, 1, 10, 0, true).ok());
    }
    REQUIRE(w.table.set_remote(w.s(0), Remote::Ancestors).ok());
    auto out = w.table.revoke(w.s(0));
    REQUIRE(out.ok());
    CHECK_FALSE(out->needs_agreement);
    CHECK(out->caps_deleted == 1);
    CHECK(w.check().ok());
}

TEST_CASE("remove_object deletes every local copy and descendant of an object, and nothing else", "[caps]") {
    World w;
    // A Frame (two copies), a smaller Frame inside it, a neighbouring Frame.
    REQUIRE(w.retype_at(0, CapType::Frame, 4 * kPage, 1, 10).ok());
    REQUIRE(w.table.copy(w.s(10), w.s(11)).ok());
    REQUIRE(w.retype_at(10, CapType::Frame, kPage, 1, 12).ok());
    REQUIRE(w.retype_at(0, CapType::Frame, 4 * kPage, 1, 13, 4 * kPage).ok());
    const Capability object = w.s(10).cap();
    Recorder r;
    CHECK(w.table.remove_object(object, &r) == 3);
    CHECK(w.s(10).empty());
    CHECK(w.s(11).empty());
    CHECK(w.s(12).empty());
    CHECK_FALSE(w.s(13).empty());  // the neighbour stays
    CHECK_FALSE(w.s(0).empty());   // and the RAM it came from
    CHECK(w.check().ok());
    // Nothing names it any more: nothing to do.
    CHECK(w.table.remove_object(object, &r) == 0);
    // A received copy (a root) goes the same way.
    Capability received = Capability::frame(64 << 20, kPage, Rights::Read | Rights::Write);
    received.remote = Remote::Copies;
    REQUIRE(w.table.create_root(w.s(20), received).ok());
    CHECK(w.table.remove_object(received, &r) == 1);
    CHECK(w.s(20).empty());
    CHECK(w.check().ok());
}

TEST_CASE("range_in_use: what a retype of a range agreed by every core must not meet", "[caps]") {
    World w;
    const PhysAddr ram = w.s(0).cap().base;
    CHECK_FALSE(w.table.range_in_use(ram + kPage, kPage));  // inside the RAM, nothing made there
    REQUIRE(w.retype_at(0, CapType::Frame, kPage, 1, 10, 2 * kPage).ok());
    CHECK(w.table.range_in_use(ram + 2 * kPage, kPage));      // that Frame
    CHECK(w.table.range_in_use(ram, 4 * kPage));              // a range around it
    CHECK_FALSE(w.table.range_in_use(ram + 3 * kPage, kPage));  // beside it
    CHECK(w.table.range_in_use(ram, w.s(0).cap().bytes));     // the RAM itself: not strictly inside anything
    CHECK_FALSE(w.table.range_in_use(0x7000000000, kPage));   // memory nothing here names
}

TEST_CASE("count_in_range: copies, objects made inside and their descendants, never what contains the range", "[caps]") {
    World w;
    const PhysAddr ram = w.s(0).cap().base;
    CHECK(w.table.count_in_range(ram, 16 * kPage) == 0);  // inside the boot RAM: nothing made there
    // A 16-page RAM piece, a copy, two Frames from it, a smaller Frame from one of those.
    REQUIRE(w.retype_at(0, CapType::Ram, 16 * kPage, 1, 10).ok());
    const PhysAddr piece = w.s(10).cap().base;
    CHECK(w.table.count_in_range(piece, 16 * kPage) == 1);
    REQUIRE(w.table.copy(w.s(10), w.s(11)).ok());
    CHECK(w.table.count_in_range(piece, 16 * kPage) == 2);
    REQUIRE(w.retype_at(10, CapType::Frame, 2 * kPage, 2, 12).ok());
    REQUIRE(w.retype_at(12, CapType::Frame, kPage, 1, 14).ok());
    CHECK(w.table.count_in_range(piece, 16 * kPage) == 5);  // both copies, both Frames, the small Frame
    CHECK(w.table.count_in_range(piece, 2 * kPage) == 2);   // the first Frame and its child
    CHECK(w.table.count_in_range(piece + 2 * kPage, 2 * kPage) == 1);
    CHECK(w.table.count_in_range(piece + 4 * kPage, 4 * kPage) == 0);  // free inside the piece
    CHECK(w.table.count_in_range(piece, kPage) == 1);        // the small Frame only
    CHECK(w.table.count_in_range(piece, 32 * kPage) == 5);  // a range around the piece
    // Deleting shrinks the count; the piece's memory is free once it is 0.
    for (u64 i : {14, 13, 12, 11}) REQUIRE(w.table.delete_cap(w.s(i)).ok());
    CHECK(w.table.count_in_range(piece, 16 * kPage) == 1);
    REQUIRE(w.table.delete_cap(w.s(10)).ok());
    CHECK(w.table.count_in_range(piece, 16 * kPage) == 0);
    CHECK(w.table.count_in_range(0x7000000000, kPage) == 0);  // memory nothing here names
    CHECK(w.check().ok());
}

TEST_CASE("remove_object also removes what lies in the object but hangs off a copy on another core", "[caps]") {
    // A Frame made here from a RAM piece whose last local copy then went
    // (the piece lives on elsewhere) hangs off the RAM above the piece; a
    // Frame made on another core and received here is a root. An agreed
    // revoke of the piece, or of the RAM a received Frame came from, must
    // reach them: they are descendants, though no local link says so.
    World w;
    const PhysAddr ram = w.s(0).cap().base;
    const u64 ram_bytes = w.s(0).cap().bytes;
    REQUIRE(w.retype_at(0, CapType::Ram, ram_bytes / 4, 1, 10).ok());  // a quarter, as a RAM piece
    REQUIRE(w.retype_at(10, CapType::Frame, kPage, 1, 11).ok());
    REQUIRE(w.table.set_remote(w.s(10), Remote::Copies).ok());
    auto last = w.table.delete_cap(w.s(10));  // the piece lives on elsewhere; its Frame re-attaches to slot 0
    REQUIRE(last.ok());
    REQUIRE(last->kind == DeleteKind::LastLocalCopy);
    REQUIRE(w.s(11).parent() == &w.s(0));
    Recorder r;
    const Capability gone_piece = Capability::ram(ram, ram_bytes / 4);
    CHECK(w.table.remove_object(gone_piece, &r) == 1);
    CHECK(w.s(11).empty());
    CHECK_FALSE(w.s(0).empty());  // the RAM around it stays
    CHECK(w.check().ok());

    World v;
    const PhysAddr other = 0x7000000000;  // memory whose RAM is on another core
    Capability frame = Capability::frame(other + 4 * kPage, kPage, Rights::All);
    frame.remote = Remote::Copies;
    Capability neighbour = Capability::frame(other + 16 * kPage, kPage, Rights::All);
    neighbour.remote = Remote::Copies;
    REQUIRE(v.table.create_root(v.s(20), frame).ok());
    REQUIRE(v.table.create_root(v.s(21), neighbour).ok());
    // A revoke of the 64 KiB RAM the Frame was made from, elsewhere.
    CHECK(v.table.remove_object(Capability::ram(other, 16 * kPage), &r) == 1);
    CHECK(v.s(20).empty());
    CHECK_FALSE(v.s(21).empty());  // outside it
    // A Frame over the same memory as a RAM is made from the RAM; a RAM over
    // the same memory as a Frame is not made from the Frame.
    Capability same_ram = Capability::ram(other + 32 * kPage, kPage);
    same_ram.remote = Remote::Copies;
    REQUIRE(v.table.create_root(v.s(22), same_ram).ok());
    CHECK(v.table.remove_object(Capability::frame(other + 32 * kPage, kPage), &r) == 0);
    CHECK_FALSE(v.s(22).empty());
    CHECK(v.table.remove_object(Capability::ram(other + 16 * kPage, kPage), &r) == 1);
    CHECK(v.s(21).empty());
    CHECK(v.check().ok());
}

TEST_CASE("range_in_use: a Frame around the range is memory in use, RAM around it is not", "[caps]") {
    World w;
    const PhysAddr ram = w.s(0).cap().base;
    REQUIRE(w.retype_at(0, CapType::Frame, 4 * kPage, 1, 10, 4 * kPage).ok());
    // A Frame made from the RAM there would overlap the bigger Frame.
    CHECK(w.table.range_in_use(ram + 5 * kPage, kPage));
    CHECK(w.table.range_in_use(ram + 4 * kPage, 4 * kPage));
    CHECK_FALSE(w.table.range_in_use(ram + 8 * kPage, kPage));
    // RAM pieces around the range may be its source.
    REQUIRE(w.retype_at(0, CapType::Ram, 16 * kPage, 1, 11, 16 * kPage).ok());
    CHECK_FALSE(w.table.range_in_use(ram + 17 * kPage, kPage));
}
