// Retype: the objects it makes, where they go in the tree, and every error,
// each of which must leave the world byte for byte unchanged.
#include "support.hpp"

using namespace caps_test;

namespace {

constexpr u64 kPage = 4096;

}  // namespace

TEST_CASE("Retype makes children with the source's rights in consecutive slots", "[caps]") {
    World w;
    REQUIRE(w.table.mint(w.s(0), w.s(1), Rights::Read | Rights::Write, 0).ok());
    REQUIRE(w.retype_at(1, CapType::Frame, kPage, 4, 10, 2 * kPage).ok());
    for (u64 i = 0; i < 4; ++i) {
        const Capability& c = w.s(10 + i).cap();
        CHECK(c.type == CapType::Frame);
        CHECK(c.base == w.ram_base() + (2 + i) * kPage);
        CHECK(c.bytes == kPage);
        CHECK(c.rights == (Rights::Read | Rights::Write));
        CHECK(c.remote == Remote::None);
        // Children hang on the group head (slot 0), whichever copy was used.
        CHECK(w.s(10 + i).parent() == &w.s(0));
    }
    CHECK(w.s(0).first_child() == &w.s(10));
    CHECK(w.s(1).first_child() == nullptr);
    CHECK(w.check().ok());
}

TEST_CASE("Retype makes every type RAM may become, naturally aligned", "[caps]") {
    World w;
    const struct {
        CapType type;
        u64 size;
    } kinds[] = {
        {CapType::Ram, 64 * kPage},  {CapType::Frame, 16 * kPage},         {CapType::CNode, 32 * kCteBytes},
        {CapType::Pml4, kPage},      {CapType::Pdpt, kPage},               {CapType::Pd, kPage},
        {CapType::Pt, kPage},        {CapType::Dispatcher, kDispatcherBytes}, {CapType::Endpoint, kEndpointBytes},
    };
    u64 offset = 0;
    u64 slot = 10;
    for (const auto& k : kinds) {
        CAPTURE(cap_type_name(k.type));
        offset = align_up(offset, k.size);
        REQUIRE(w.retype_at(0, k.type, k.size, 2, slot, offset).ok());
        for (u64 i = 0; i < 2; ++i) {
            const Capability& c = w.s(slot + i).cap();
            CHECK(c.type == k.type);
            CHECK(c.base == w.ram_base() + offset + i * k.size);
            CHECK(c.bytes == k.size);
            CHECK(is_aligned(c.base, k.size));
            CHECK(well_formed(c));
        }
        if (k.type == CapType::CNode) {
            CHECK(w.s(slot).cap().slots() == 32);
            w.watch(w.s(slot).cap());
            w.watch(w.s(slot + 1).cap());
        }
        offset += 2 * k.size;
        slot += 2;
    }
    CHECK(w.check().ok());
}

TEST_CASE("A retyped CNode is an array of empty slots even over dirty memory", "[caps]") {
    World w;
    std::memset(w.ram_data(), 0xa5, 0x4000);
    REQUIRE(w.retype_at(0, CapType::CNode, 64 * kCteBytes, 1, 10).ok());
    Cte* inner = w.table.slots_of(w.s(10).cap());
    for (u64 i = 0; i < 64; ++i) {
        CHECK(inner[i].empty());
        CHECK(inner[i].next() == nullptr);
    }
    w.watch(w.s(10).cap());
    CHECK(w.check().ok());
}

TEST_CASE("Frames split into smaller Frames and I/O ranges into smaller ranges", "[caps]") {
    World w;
    REQUIRE(w.retype_at(0, CapType::Frame, 16 * kPage, 1, 10).ok());
    REQUIRE(w.retype_at(10, CapType::Frame, kPage, 16, 20).ok());
    CHECK(w.s(35).cap().base == w.ram_base() + 15 * kPage);
    CHECK(w.s(35).parent() == &w.s(10));
    CHECK(w.retype_at(10, CapType::Frame, 16 * kPage, 1, 40).error() == Error::InvalidArgument);

    REQUIRE(w.table.create_root(w.s(50), Capability::io(0, kIoPortCount)).ok());
    REQUIRE(w.retype_at(50, CapType::Io, 8, 1, 51, 0x3f8).ok());
    CHECK(w.s(51).cap().io_first() == 0x3f8);
    CHECK(w.s(51).cap().io_count() == 8);
    REQUIRE(w.retype_at(51, CapType::Io, 1, 8, 52).ok());
    CHECK(w.s(59).cap().io_first() == 0x3ff);
    CHECK(w.retype_at(50, CapType::Io, 4, 1, 60, 0x3fc).error() == Error::Overlap);
    CHECK(w.retype_at(50, CapType::Io, 4, 1, 60, 0x3f6).error() == Error::InvalidArgument);  // misaligned
    CHECK(w.retype_at(50, CapType::Io, 8, 1, 60, 0x400).ok());  // adjacent
    CHECK(w.check().ok());
}

TEST_CASE("Retype errors are named and change nothing", "[caps]") {
    World w;
    REQUIRE(w.retype_at(0, CapType::Frame, kPage, 1, 5, 0).ok());
    REQUIRE(w.table.create_root(w.s(6), Capability::kernel()).ok());
    auto fails = [&](Error e, auto op) { expect_unchanged_failure(w, e, [&] { return err(op()); }); };

    SECTION("InvalidCap: empty source or destination") {
        fails(Error::InvalidCap, [&] { return w.retype_at(7, CapType::Frame, kPage, 1, 20); });
        RetypeArgs a;
        a.type = CapType::Frame;
        a.object_size = kPage;
        Cte empty;
        fails(Error::InvalidCap, [&] { return w.table.retype(w.s(0), a, empty); });
    }
    SECTION("WrongType: destination not a CNode, or a type the source cannot become") {
        RetypeArgs a;
        a.type = CapType::Frame;
        a.object_size = kPage;
        a.offset = kPage;
        fails(Error::WrongType, [&] { return w.table.retype(w.s(0), a, w.s(5)); });
        for (CapType t : {CapType::Null, CapType::Io, CapType::Irq, CapType::Kernel})
            fails(Error::WrongType, [&] { return w.retype_at(0, t, kPage, 1, 20, kPage); });
        for (CapType t : {CapType::Ram, CapType::CNode, CapType::Pt, CapType::Dispatcher, CapType::Endpoint})
            fails(Error::WrongType, [&] { return w.retype_at(5, t, 64, 1, 20); });
        fails(Error::WrongType, [&] { return w.retype_at(6, CapType::Frame, kPage, 1, 20); });
    }
    SECTION("InvalidArgument: count 0, bad sizes, same type not smaller, misaligned") {
        fails(Error::InvalidArgument, [&] { return w.retype_at(0, CapType::Frame, kPage, 0, 20, kPage); });
        fails(Error::InvalidArgument, [&] { return w.retype_at(0, CapType::Frame, 3 * kPage, 1, 20, kPage); });
        fails(Error::InvalidArgument, [&] { return w.retype_at(0, CapType::Frame, 2048, 1, 20, kPage); });
        fails(Error::InvalidArgument, [&] { return w.retype_at(0, CapType::Pt, 2 * kPage, 1, 20, 2 * kPage); });
        fails(Error::InvalidArgument, [&] { return w.retype_at(0, CapType::CNode, 96, 1, 20, kPage); });
        fails(Error::InvalidArgument, [&] { return w.retype_at(0, CapType::Ram, World::kRamBytes, 1, 20); });
        fails(Error::InvalidArgument, [&] { return w.retype_at(5, CapType::Frame, kPage, 1, 20); });
        fails(Error::InvalidArgument, [&] { return w.retype_at(0, CapType::Frame, 2 * kPage, 1, 20, kPage); });
        fails(Error::InvalidArgument, [&] { return w.retype_at(0, CapType::Endpoint, 64, 1, 20, kPage + 32); });
    }
    SECTION("OutOfRange: past the source's end, overflow, past the CNode's end") {
        fails(Error::OutOfRange, [&] { return w.retype_at(0, CapType::Frame, kPage, 1, 20, World::kRamBytes); });
        fails(Error::OutOfRange, [&] { return w.retype_at(0, CapType::Frame, kPage, 257, 20, 0); });
        fails(Error::OutOfRange,
              [&] { return w.retype_at(0, CapType::Frame, kPage, 2, 20, World::kRamBytes - kPage); });
        fails(Error::OutOfRange, [&] { return w.retype_at(0, CapType::Frame, kPage, u64(1) << 62, 20); });
        fails(Error::OutOfRange, [&] { return w.retype_at(0, CapType::Frame, kPage, 1, 20, ~u64(0) << 12); });
        fails(Error::OutOfRange, [&] { return w.retype_at(0, CapType::Frame, kPage, 2, 255, kPage); });
        fails(Error::OutOfRange, [&] { return w.retype_at(0, CapType::Frame, kPage, 1, 256, kPage); });
        fails(Error::OutOfRange, [&] { return w.retype_at(0, CapType::Frame, kPage, 1, ~u64(0), kPage); });
    }
    SECTION("SlotOccupied: any destination slot in use") {
        REQUIRE(w.table.copy(w.s(5), w.s(23)).ok());
        fails(Error::SlotOccupied, [&] { return w.retype_at(0, CapType::Frame, kPage, 4, 20, kPage); });
        fails(Error::SlotOccupied, [&] { return w.retype_at(0, CapType::Frame, kPage, 1, 23, kPage); });
        fails(Error::SlotOccupied, [&] { return w.retype_at(0, CapType::Frame, kPage, 1, 0, kPage); });
    }
    SECTION("Busy: remote copies or descendants need the monitor's agreement") {
        REQUIRE(w.table.set_remote(w.s(0), Remote::Copies).ok());
        fails(Error::Busy, [&] { return w.retype_at(0, CapType::Frame, kPage, 1, 20, kPage); });
        REQUIRE(w.table.set_remote(w.s(0), Remote::Descendants).ok());
        fails(Error::Busy, [&] { return w.retype_at(0, CapType::Frame, kPage, 1, 20, kPage); });
        REQUIRE(w.table.set_remote(w.s(0), Remote::Ancestors).ok());
        CHECK(w.retype_at(0, CapType::Frame, kPage, 1, 20, kPage).ok());
    }
    SECTION("Overlap: with a child of the source") {
        fails(Error::Overlap, [&] { return w.retype_at(0, CapType::Frame, kPage, 1, 20, 0); });
        fails(Error::Overlap, [&] { return w.retype_at(0, CapType::Ram, 2 * kPage, 1, 20, 0); });
        fails(Error::Overlap, [&] { return w.retype_at(0, CapType::CNode, 64, 1, 20, 0x800); });
    }
    CHECK(w.check().ok());
}

TEST_CASE("Overlap: adjacent ranges pass, every kind of overlap is refused", "[caps]") {
    World w;
    // A child at [16 KiB, 32 KiB).
    REQUIRE(w.retype_at(0, CapType::Ram, 4 * kPage, 1, 10, 4 * kPage).ok());
    u64 next_slot = 20;
    auto try_frames = [&](u64 offset, u64 size, u64 count) {
        const Error e = w.retype_at(0, CapType::Frame, size, count, next_slot, offset).error();
        next_slot += count;
        return e;
    };
    CHECK(try_frames(3 * kPage, kPage, 2) == Error::Overlap);   // runs into its start
    CHECK(try_frames(7 * kPage, kPage, 2) == Error::Overlap);   // starts inside its end
    CHECK(try_frames(5 * kPage, kPage, 1) == Error::Overlap);   // inside it
    CHECK(try_frames(0, 16 * kPage, 1) == Error::Overlap);      // around it
    CHECK(try_frames(4 * kPage, 4 * kPage, 1) == Error::Overlap);  // equal to it
    CHECK(try_frames(0, kPage, 4) == Error::Ok);                // ends where it starts
    CHECK(try_frames(8 * kPage, kPage, 4) == Error::Ok);        // starts where it ends
    CHECK(w.check().ok());
}

TEST_CASE("Overlap is checked against the descendants of every copy", "[caps]") {
    World w;
    REQUIRE(w.table.copy(w.s(0), w.s(1)).ok());
    REQUIRE(w.table.copy(w.s(1), w.s(2)).ok());
    // Children made through two different copies.
    REQUIRE(w.retype_at(2, CapType::Frame, kPage, 1, 10, 0).ok());
    REQUIRE(w.retype_at(1, CapType::Frame, kPage, 1, 11, 8 * kPage).ok());
    CHECK(w.retype_at(0, CapType::Frame, kPage, 1, 20, 0).error() == Error::Overlap);
    CHECK(w.retype_at(2, CapType::Frame, kPage, 1, 20, 8 * kPage).error() == Error::Overlap);
    CHECK(w.retype_at(0, CapType::Frame, kPage, 7, 20, kPage).ok());
    CHECK(w.check().ok());

    // A grandchild outlives its deleted parent and still blocks the range.
    REQUIRE(w.retype_at(0, CapType::Ram, 16 * kPage, 1, 30, 16 * kPage).ok());
    REQUIRE(w.retype_at(30, CapType::Frame, kPage, 1, 31, 3 * kPage).ok());
    auto gone = w.table.delete_cap(w.s(30));
    REQUIRE(gone.ok());
    CHECK(gone->had_descendants);
    CHECK(w.s(31).parent() == &w.s(0));
    CHECK(w.retype_at(1, CapType::Frame, 16 * kPage, 1, 40, 16 * kPage).error() == Error::Overlap);
    CHECK(w.retype_at(1, CapType::Frame, 2 * kPage, 1, 40, 18 * kPage).error() == Error::Overlap);
    CHECK(w.retype_at(1, CapType::Frame, 2 * kPage, 1, 40, 16 * kPage).ok());
    CHECK(w.retype_at(1, CapType::Frame, 4 * kPage, 1, 41, 20 * kPage).ok());
    CHECK(w.check().ok());
}

TEST_CASE("Children of a source with remote copies or ancestors have remote ancestors", "[caps]") {
    World w;
    REQUIRE(w.table.set_remote(w.s(0), Remote::Ancestors).ok());
    REQUIRE(w.retype_at(0, CapType::Frame, kPage, 1, 10).ok());
    CHECK(w.s(10).cap().remote == Remote::Ancestors);
    REQUIRE(w.table.set_remote(w.s(0), Remote::Copies).ok());
    REQUIRE(w.retype_at(0, CapType::Frame, kPage, 1, 11, kPage, true).ok());
    CHECK(w.s(11).cap().remote == Remote::Ancestors);
    REQUIRE(w.table.set_remote(w.s(0), Remote::Descendants).ok());
    REQUIRE(w.retype_at(0, CapType::Frame, kPage, 1, 12, 2 * kPage, true).ok());
    CHECK(w.s(12).cap().remote == Remote::None);
    CHECK(w.check().ok());
}

TEST_CASE("Siblings stay sorted whatever order they are made in", "[caps]") {
    World w;
    const u64 order[] = {9, 3, 15, 0, 7, 12, 1};
    u64 slot = 10;
    for (u64 page : order) REQUIRE(w.retype_at(0, CapType::Frame, kPage, 1, slot++, page * kPage).ok());
    u64 last = 0;
    u64 n = 0;
    for (const Cte* c = w.s(0).first_child(); c != nullptr; c = c->next(), ++n) {
        CHECK(c->cap().base >= last);
        last = c->cap().base;
    }
    CHECK(n == 7);
    CHECK(w.check().ok());
}
