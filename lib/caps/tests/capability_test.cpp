// Capability values: layout, rights, extents, the retype and shape rules.
#include <set>

#include "support.hpp"

using namespace caps_test;

namespace {

constexpr CapType kAllTypes[] = {
    CapType::Null, CapType::Ram, CapType::Frame, CapType::CNode, CapType::Pml4, CapType::Pdpt, CapType::Pd,
    CapType::Pt, CapType::Dispatcher, CapType::Endpoint, CapType::Io, CapType::Irq, CapType::Kernel,
};
static_assert(sizeof(kAllTypes) / sizeof(kAllTypes[0]) == kCapTypeCount);

}  // namespace

TEST_CASE("Capability and Cte have the layout slots rely on", "[caps]") {
    STATIC_REQUIRE(sizeof(Capability) == 32);
    STATIC_REQUIRE(sizeof(Cte) == 64);
    // Zeroed memory is an array of empty slots.
    alignas(Cte) unsigned char raw[sizeof(Cte)] = {};
    Cte fresh;
    CHECK(std::memcmp(raw, &fresh, sizeof(Cte)) == 0);
    CHECK(fresh.empty());
    CHECK(fresh.parent() == nullptr);
}

TEST_CASE("Every type has a distinct name", "[caps]") {
    std::set<std::string> names;
    for (CapType t : kAllTypes) names.insert(cap_type_name(t));
    CHECK(names.size() == kCapTypeCount);
    CHECK(std::string(cap_type_name(CapType::Pml4)) == "Pml4");
}

TEST_CASE("Rights combine and only a subset is within", "[caps]") {
    CHECK((Rights::Read | Rights::Write) == Rights(3));
    CHECK(((Rights::Read | Rights::Grant) & Rights::Grant) == Rights::Grant);
    for (u8 have = 0; have < 16; ++have) {
        for (u8 want = 0; want < 16; ++want) {
            CAPTURE(have, want);
            CHECK(has_rights(Rights(have), Rights(want)) == ((want & have) == want));
        }
    }
}

TEST_CASE("Copies are the same object whatever their rights, badge and flags", "[caps]") {
    Capability a = Capability::frame(0x10000, 0x4000, Rights::All);
    Capability b = a;
    b.rights = Rights::Read;
    b.remote = Remote::Copies;
    CHECK(same_object(a, b));
    CHECK_FALSE(a == b);
    b = a;
    b.bytes = 0x2000;
    CHECK_FALSE(same_object(a, b));
    b = a;
    b.type = CapType::Ram;
    CHECK_FALSE(same_object(a, b));

    Capability e = Capability::memory(CapType::Endpoint, 0x40, kEndpointBytes, Rights::All);
    Capability badged = e;
    badged.word = 7;
    CHECK(same_object(e, badged));
    CHECK(badged.badge() == 7);
    CHECK(Capability::irq_line(3).irq() == 3);
    CHECK_FALSE(same_object(Capability::irq_line(3), Capability::irq_line(4)));
    CHECK_FALSE(same_object(Capability::io(0x60, 4), Capability::io(0x60, 8)));
    CHECK(same_object(Capability::kernel(Rights::Read), Capability::kernel()));
}

TEST_CASE("Extents: adjacent ranges do not overlap, any shared unit does", "[caps]") {
    const Extent a{Space::Memory, 0x1000, 0x3000};
    CHECK_FALSE(overlaps(a, {Space::Memory, 0x3000, 0x4000}));
    CHECK_FALSE(overlaps(a, {Space::Memory, 0x0, 0x1000}));
    CHECK(overlaps(a, {Space::Memory, 0x2fff, 0x4000}));
    CHECK(overlaps(a, {Space::Memory, 0x0, 0x1001}));
    CHECK(overlaps(a, {Space::Memory, 0x0, 0x10000}));
    CHECK(overlaps(a, {Space::Memory, 0x1800, 0x1900}));
    CHECK_FALSE(overlaps(a, {Space::IoPorts, 0x1000, 0x3000}));
    CHECK_FALSE(overlaps(Extent{}, Extent{}));
    CHECK(contains(a, {Space::Memory, 0x1000, 0x3000}));
    CHECK_FALSE(contains(a, {Space::Memory, 0x1000, 0x3001}));
    CHECK_FALSE(contains(a, {Space::IoPorts, 0x1000, 0x2000}));

    const Extent io = extent_of(Capability::io(0x3f8, 8));
    CHECK(io.space == Space::IoPorts);
    CHECK(io.begin == 0x3f8);
    CHECK(io.end == 0x400);
    const Extent irq = extent_of(Capability::irq_line(9));
    CHECK(irq.space == Space::IrqLines);
    CHECK(irq.length() == 1);
    CHECK(extent_of(Capability::kernel()).space == Space::None);
}

TEST_CASE("The retype rule: RAM makes memory objects, Frames and Io split", "[caps]") {
    const std::set<std::pair<CapType, CapType>> allowed = {
        {CapType::Ram, CapType::Ram},        {CapType::Ram, CapType::Frame},    {CapType::Ram, CapType::CNode},
        {CapType::Ram, CapType::Pml4},       {CapType::Ram, CapType::Pdpt},     {CapType::Ram, CapType::Pd},
        {CapType::Ram, CapType::Pt},         {CapType::Ram, CapType::Dispatcher}, {CapType::Ram, CapType::Endpoint},
        {CapType::Frame, CapType::Frame},    {CapType::Io, CapType::Io},
    };
    for (CapType from : kAllTypes) {
        for (CapType to : kAllTypes) {
            CAPTURE(cap_type_name(from), cap_type_name(to));
            CHECK(can_retype(from, to) == (allowed.count({from, to}) == 1));
        }
    }
}

TEST_CASE("Object sizes: powers of two, fixed where the hardware fixes them", "[caps]") {
    CHECK(valid_object_size(CapType::Frame, 4096));
    CHECK(valid_object_size(CapType::Frame, u64(1) << 30));
    CHECK_FALSE(valid_object_size(CapType::Frame, 2048));
    CHECK_FALSE(valid_object_size(CapType::Frame, 3 * 4096));
    CHECK_FALSE(valid_object_size(CapType::Ram, 0));
    CHECK(valid_object_size(CapType::CNode, 64));
    CHECK(valid_object_size(CapType::CNode, 256 * 64));
    CHECK_FALSE(valid_object_size(CapType::CNode, 32));
    CHECK_FALSE(valid_object_size(CapType::CNode, (kMaxCNodeSlots + 1) * 64));
    for (CapType t : {CapType::Pml4, CapType::Pdpt, CapType::Pd, CapType::Pt}) {
        CHECK(valid_object_size(t, 4096));
        CHECK_FALSE(valid_object_size(t, 8192));
    }
    CHECK(valid_object_size(CapType::Dispatcher, kDispatcherBytes));
    CHECK_FALSE(valid_object_size(CapType::Dispatcher, 4096));
    CHECK(valid_object_size(CapType::Endpoint, kEndpointBytes));
    CHECK_FALSE(valid_object_size(CapType::Endpoint, 128));
    CHECK(valid_object_size(CapType::Io, 1));
    CHECK(valid_object_size(CapType::Io, kIoPortCount));
    CHECK_FALSE(valid_object_size(CapType::Io, 3));
    CHECK_FALSE(valid_object_size(CapType::Io, 2 * kIoPortCount));
    for (CapType t : {CapType::Null, CapType::Irq, CapType::Kernel}) CHECK_FALSE(valid_object_size(t, 4096));
}

TEST_CASE("well_formed accepts real capabilities and rejects every malformed field", "[caps]") {
    CHECK(well_formed(Capability::ram(0x100000, 0x7f00000)));  // boot RAM: any page multiple
    CHECK(well_formed(Capability::frame(0xfee00000, 0x1000)));
    CHECK(well_formed(Capability::cnode(0x1040, 16)));
    CHECK(well_formed(Capability::memory(CapType::Pt, 0x5000, 4096, Rights::All)));
    CHECK(well_formed(Capability::memory(CapType::Dispatcher, 0x400, kDispatcherBytes, Rights::All)));
    CHECK(well_formed(Capability::io(0, kIoPortCount)));
    CHECK(well_formed(Capability::irq_line(40)));
    CHECK(well_formed(Capability::kernel()));

    Capability c = Capability::ram(0x1000, 0x1000);
    c.reserved8 = 1;
    CHECK_FALSE(well_formed(c));
    c = Capability::ram(0x1000, 0x1000);
    c.reserved32 = 1;
    CHECK_FALSE(well_formed(c));
    c = Capability::ram(0x1000, 0x1000);
    c.rights = Rights(16);
    CHECK_FALSE(well_formed(c));
    c.rights = Rights::All;
    c.remote = Remote(8);
    CHECK_FALSE(well_formed(c));
    CHECK_FALSE(well_formed(Capability{}));
    CHECK_FALSE(well_formed(Capability::ram(0x1800, 0x1000)));
    CHECK_FALSE(well_formed(Capability::ram(0x1000, 0x1800)));
    CHECK_FALSE(well_formed(Capability::ram(0x1000, 0)));
    CHECK_FALSE(well_formed(Capability::ram(~u64(0) & ~u64(0xfff), 0x2000)));  // wraps
    CHECK_FALSE(well_formed(Capability::cnode(0x1020, 16)));
    CHECK_FALSE(well_formed(Capability::cnode(0x1040, 12)));
    c = Capability::cnode(0x1040, 16);
    c.word = 8;
    CHECK_FALSE(well_formed(c));
    CHECK_FALSE(well_formed(Capability::memory(CapType::Pt, 0x5800, 4096, Rights::All)));
    CHECK_FALSE(well_formed(Capability::memory(CapType::Pd, 0x5000, 8192, Rights::All)));
    CHECK_FALSE(well_formed(Capability::memory(CapType::Endpoint, 0x20, kEndpointBytes, Rights::All)));
    CHECK_FALSE(well_formed(Capability::io(0xfff0, 0x20)));
    CHECK_FALSE(well_formed(Capability::io(0x10, 0)));
    c = Capability::io(0x10, 1);
    c.base = 0x10;
    CHECK_FALSE(well_formed(c));
    CHECK_FALSE(well_formed(Capability::irq_line(u64(1) << 32)));
    c = Capability::kernel();
    c.word = 1;
    CHECK_FALSE(well_formed(c));
    // Core-local objects never have copies on another core.
    for (CapType t : {CapType::CNode, CapType::Dispatcher, CapType::Endpoint, CapType::Kernel}) {
        CHECK(is_core_local_type(t));
    }
    c = Capability::kernel();
    c.remote = Remote::Copies;
    CHECK_FALSE(well_formed(c));
    c.remote = Remote::Ancestors;
    CHECK(well_formed(c));
}
