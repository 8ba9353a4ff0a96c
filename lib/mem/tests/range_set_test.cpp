#include <catch2/catch.hpp>

#include <set>
#include <vector>

#include "mem/frame_pool.hpp"
#include "mem/range_set.hpp"

using namespace mk;
using namespace mk::mem;

TEST_CASE("RangeSet merges, splits and aligns", "[mem]") {
    RangeSet s;
    REQUIRE(s.add(0x1000, 0x3000).ok());
    REQUIRE(s.add(0x5000, 0x6000).ok());
    REQUIRE(s.add(0x3000, 0x4000).ok());  // touches the first: merges
    REQUIRE(s.count() == 2);
    CHECK(s[0].base == 0x1000);
    CHECK(s[0].end == 0x4000);
    REQUIRE(s.add(0x3800, 0x5800).ok());  // bridges both
    REQUIRE(s.count() == 1);
    CHECK(s[0].end == 0x6000);
    REQUIRE(s.remove(0x2000, 0x2800).ok());  // splits
    REQUIRE(s.count() == 2);
    CHECK(s[0].end == 0x2000);
    CHECK(s[1].base == 0x2800);
    s.page_align();
    CHECK(s[1].base == 0x3000);
    CHECK(s.total() == 0x1000 + 0x3000);
    CHECK(s.add(5, 4).error() == Error::InvalidArgument);
}

TEST_CASE("RangeSet reports when it is full", "[mem]") {
    RangeSet s;
    for (usize i = 0; i < RangeSet::kCapacity; ++i) REQUIRE(s.add(i * 0x10000, i * 0x10000 + 0x1000).ok());
    CHECK(s.add(0x1000000, 0x1001000).error() == Error::Full);
    CHECK(s.count() == RangeSet::kCapacity);
}

TEST_CASE("split_into_shares gives disjoint, nearly equal shares covering everything", "[mem]") {
    RangeSet free;
    REQUIRE(free.add(0x100000, 0x800000).ok());
    REQUIRE(free.add(0x1000000, 0x1400000).ok());
    REQUIRE(free.remove(0x200000, 0x280000).ok());  // the kernel image
    for (usize n : {1u, 2u, 3u, 8u}) {
        RangeSet shares[8];
        REQUIRE(split_into_shares(free, n, shares).ok());
        u64 sum = 0;
        std::set<PhysAddr> pages;
        for (usize s = 0; s < n; ++s) {
            sum += shares[s].total();
            if (s + 1 < n) CHECK(shares[s].total() == shares[0].total());
            for (usize r = 0; r < shares[s].count(); ++r) {
                for (PhysAddr p = shares[s][r].base; p < shares[s][r].end; p += kPageSize) {
                    CHECK(pages.insert(p).second);  // never in two shares
                    CHECK((p < 0x200000 || p >= 0x280000));
                }
            }
        }
        CHECK(sum == free.total());
    }
    RangeSet out[2];
    RangeSet tiny;
    REQUIRE(tiny.add(0x1000, 0x2000).ok());
    CHECK(split_into_shares(tiny, 2, out).error() == Error::NoMemory);
    CHECK(split_into_shares(tiny, 0, out).error() == Error::InvalidArgument);
}

namespace {
std::vector<u8> g_memory(64 * kPageSize);
constexpr PhysAddr kBase = 0x100000;
void* to_virtual(PhysAddr p) { return g_memory.data() + (p - kBase); }
}  // namespace

TEST_CASE("FramePool hands out each page once and reuses freed pages", "[mem]") {
    RangeSet share;
    REQUIRE(share.add(kBase, kBase + 64 * kPageSize).ok());
    FramePool pool(share, to_virtual);
    std::set<PhysAddr> seen;
    auto run = pool.alloc(4);
    REQUIRE(run.ok());
    for (int i = 0; i < 4; ++i) seen.insert(*run + i * kPageSize);
    while (true) {
        auto p = pool.alloc();
        if (!p.ok()) {
            CHECK(p.error() == Error::NoMemory);
            break;
        }
        CHECK(seen.insert(*p).second);
    }
    CHECK(seen.size() == 64);
    CHECK(pool.free_bytes() == 0);
    REQUIRE(pool.free_page(kBase + 5 * kPageSize).ok());
    REQUIRE(pool.free_page(kBase + 9 * kPageSize).ok());
    CHECK(pool.free_bytes() == 2 * kPageSize);
    CHECK(*pool.alloc() == kBase + 9 * kPageSize);
    CHECK(*pool.alloc() == kBase + 5 * kPageSize);
    CHECK(pool.alloc(2).error() == Error::NoMemory);
    CHECK(pool.free_page(kBase + 1).error() == Error::InvalidArgument);
    CHECK(pool.alloc(0).error() == Error::InvalidArgument);
}
