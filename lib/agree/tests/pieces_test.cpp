// The pieces a core hands out of its chunks and takes back (pieces.hpp):
// natural alignment, memory given back used again first, a chunk released
// to the ownership map once all its pieces came back, refusals that change
// nothing, and a random run checked against a model of the pages.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <vector>

#include "agree/pieces.hpp"

using namespace mk;
using namespace mk::agree;

namespace {

constexpr PhysAddr kBase = 0x100000000;
constexpr u64 kChunk = 1 << 20;
constexpr u64 kPage = 4096;

// Core 1 of 2 owns chunks 1, 3, 5 and 7 of eight.
struct Fixture {
    Fixture() : map(1, 2, kBase, kChunk, 8), pool(map) {
        for (u32 c = 0; c < 8; ++c) REQUIRE(map.assign(c, u8(c % 2)).ok());
    }
    OwnershipMap map;
    PiecePool pool;
};

u64 free_bytes(const PiecePool& pool) {
    u64 n = 0;
    pool.for_each_free([&](PhysAddr, u64 bytes) { n += bytes; });
    return n;
}

}  // namespace

TEST_CASE("Pieces are naturally aligned, inside chunks this core owns, lowest first", "[agree]") {
    Fixture f;
    auto a = f.pool.allocate(12, 1);
    auto b = f.pool.allocate(16, 1);
    auto c = f.pool.allocate(12, 2);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    REQUIRE(c.ok());
    CHECK(a->base == kBase + kChunk);  // chunk 1: the lowest this core owns
    CHECK(b->base == kBase + kChunk + (1 << 16));
    CHECK(c->base == kBase + kChunk + kPage);
    CHECK(a->chunk == 1);
    CHECK(b->bytes == 1 << 16);
    CHECK(f.map.in_use(1));
    CHECK(f.pool.split_chunks() == 1);
    CHECK(f.pool.outstanding() == 3);
    CHECK(f.pool.outstanding(1) == 2);
    CHECK(f.pool.outstanding(2) == 1);
    CHECK(f.pool.handed_out(b->base, b->bytes));
    CHECK_FALSE(f.pool.handed_out(b->base, kPage));  // inside a piece: not a piece
    CHECK_FALSE(f.pool.handed_out(b->base + kPage, kPage));
    // 3 chunks untouched and chunk 1 minus what was handed out.
    CHECK(free_bytes(f.pool) == 3 * kChunk + kChunk - 2 * kPage - (1 << 16));
}

TEST_CASE("Memory given back is handed out again, and a chunk whose pieces all came back is free whole", "[agree]") {
    Fixture f;
    std::vector<PiecePool::Piece> pieces;
    for (int i = 0; i < 4; ++i) pieces.push_back(*f.pool.allocate(16));
    REQUIRE(f.pool.give_back(pieces[1].base, pieces[1].bytes).ok());
    CHECK(f.pool.given_back() == 1);
    CHECK_FALSE(f.pool.handed_out(pieces[1].base, pieces[1].bytes));
    auto again = f.pool.allocate(16);
    REQUIRE(again.ok());
    CHECK(again->base == pieces[1].base);
    CHECK(f.pool.reused() == 1);
    // A smaller piece fits into a hole left by a larger one.
    REQUIRE(f.pool.give_back(pieces[2].base, pieces[2].bytes).ok());
    auto small = f.pool.allocate(12);
    REQUIRE(small.ok());
    CHECK(small->base == pieces[2].base);
    CHECK(f.pool.reused() == 2);
    // Everything back: chunk 1 is released to the map and can be handed out whole.
    for (const auto& p : {pieces[0], *again, pieces[3], *small}) REQUIRE(f.pool.give_back(p.base, p.bytes).ok());
    CHECK(f.pool.split_chunks() == 0);
    CHECK_FALSE(f.map.in_use(1));
    CHECK(f.pool.outstanding() == 0);
    CHECK(free_bytes(f.pool) == 4 * kChunk);
    auto whole = f.pool.allocate(20, 7);
    REQUIRE(whole.ok());
    CHECK(whole->base == kBase + kChunk);
    CHECK(whole->bytes == kChunk);
    CHECK(f.pool.reused() == 3);  // the chunk had come back
    CHECK(f.pool.outstanding(7) == 1);
    CHECK(f.pool.handed_out(whole->base, kChunk));
    REQUIRE(f.pool.give_back(whole->base, kChunk).ok());
    CHECK_FALSE(f.map.in_use(1));
}

TEST_CASE("Refused allocations and give-backs change nothing", "[agree]") {
    Fixture f;
    CHECK(f.pool.allocate(11).error() == Error::OutOfRange);  // below a page
    CHECK(f.pool.allocate(21).error() == Error::OutOfRange);  // above a chunk
    CHECK(f.pool.allocate(64).error() == Error::OutOfRange);
    auto a = f.pool.allocate(14);
    REQUIRE(a.ok());
    const u64 before = free_bytes(f.pool);
    CHECK(f.pool.give_back(a->base, kPage).error() == Error::InvalidArgument);            // part of a piece
    CHECK(f.pool.give_back(a->base + kPage, kPage).error() == Error::InvalidArgument);    // inside it
    CHECK(f.pool.give_back(a->base, 2 * a->bytes).error() == Error::InvalidArgument);     // larger
    CHECK(f.pool.give_back(a->base + a->bytes, a->bytes).error() == Error::InvalidArgument);  // never handed out
    CHECK(f.pool.give_back(kBase, kPage).error() == Error::InvalidArgument);               // another core's chunk
    CHECK(f.pool.give_back(kBase + 3 * kChunk, kChunk).error() == Error::InvalidArgument); // ours, not handed out
    CHECK(f.pool.give_back(0x1000, kPage).error() == Error::InvalidArgument);              // outside the map
    CHECK(f.pool.give_back(a->base, 0).error() == Error::InvalidArgument);
    CHECK(f.pool.outstanding() == 1);
    CHECK(free_bytes(f.pool) == before);
    REQUIRE(f.pool.give_back(a->base, a->bytes).ok());
    CHECK(f.pool.give_back(a->base, a->bytes).error() == Error::InvalidArgument);  // twice
    CHECK(f.pool.given_back() == 1);
    // Out of chunks: NoMemory, and the chunks stay as they were.
    for (int i = 0; i < 4; ++i) REQUIRE(f.pool.allocate(20).ok());
    CHECK(f.pool.allocate(12).error() == Error::NoMemory);
    CHECK(f.pool.allocate(20).error() == Error::NoMemory);
    CHECK(f.pool.outstanding() == 4);
}

TEST_CASE("A pledged chunk or one moved away is never split", "[agree]") {
    Fixture f;
    // Chunk 1 moves to core 0 (agreed elsewhere): the pool starts at chunk 3.
    Op op = encode(ChunkMove{1, 1, 1, 0});
    REQUIRE(f.map.prepare(op) == Vote::Yes);
    auto a = f.pool.allocate(12);
    REQUIRE(a.ok());
    CHECK(a->chunk == 3);
    f.map.commit(op, 0);
    CHECK(f.map.owner(1) == 0);
    auto b = f.pool.allocate(12);
    REQUIRE(b.ok());
    CHECK(b->chunk == 3);
}

TEST_CASE("Random pieces never overlap and every page is free or in exactly one piece", "[agree]") {
    for (u32 seed = 0; seed < 40; ++seed) {
        Fixture f;
        std::mt19937 rng(seed);
        std::map<PhysAddr, u64> live;  // the model: base -> bytes
        for (int step = 0; step < 600; ++step) {
            if (live.empty() || rng() % 3 != 0) {
                const u32 size_log2 = 12 + rng() % 9;
                auto p = f.pool.allocate(size_log2, u8(size_log2));
                if (!p.ok()) {
                    REQUIRE(p.error() == Error::NoMemory);
                    continue;
                }
                REQUIRE(p->bytes == u64{1} << size_log2);
                REQUIRE(is_aligned(p->base, p->bytes));
                REQUIRE(f.map.owner(f.map.chunk_of(p->base)) == 1);
                auto next = live.lower_bound(p->base);
                if (next != live.end()) REQUIRE(p->base + p->bytes <= next->first);
                if (next != live.begin()) {
                    auto prev = std::prev(next);
                    REQUIRE(prev->first + prev->second <= p->base);
                }
                live[p->base] = p->bytes;
            } else {
                auto it = live.begin();
                std::advance(it, rng() % live.size());
                REQUIRE(f.pool.give_back(it->first, it->second).ok());
                live.erase(it);
            }
            u64 busy = 0;
            for (const auto& [base, bytes] : live) busy += bytes;
            REQUIRE(f.pool.outstanding() == live.size());
            REQUIRE(free_bytes(f.pool) + busy == 4 * kChunk);
        }
        for (const auto& [base, bytes] : live) REQUIRE(f.pool.give_back(base, bytes).ok());
        REQUIRE(f.pool.split_chunks() == 0);
        for (u32 c : {1u, 3u, 5u, 7u}) REQUIRE_FALSE(f.map.in_use(c));
    }
}

TEST_CASE("The piece holding an address, and whether something in it was sent away", "[agree]") {
    Fixture f;
    auto a = f.pool.allocate(16);
    auto b = f.pool.allocate(12);
    auto w = f.pool.allocate(20);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    REQUIRE(w.ok());
    auto in_a = f.pool.containing(a->base + 5 * kPage + 17);
    REQUIRE(in_a.ok());
    CHECK(in_a->base == a->base);
    CHECK(in_a->bytes == a->bytes);
    CHECK(f.pool.containing(b->base + kPage).error() == Error::NotFound);  // free, beside b
    CHECK(f.pool.containing(kBase).error() == Error::NotFound);            // another core's chunk
    auto in_w = f.pool.containing(w->base + kChunk - 1);
    REQUIRE(in_w.ok());
    CHECK(in_w->bytes == kChunk);
    CHECK_FALSE(f.pool.shared(a->base));
    REQUIRE(f.pool.mark_shared(a->base + 3 * kPage).ok());
    CHECK(f.pool.shared(a->base));
    CHECK(f.pool.shared(a->base + a->bytes - 1));
    CHECK_FALSE(f.pool.shared(b->base));
    CHECK(f.pool.mark_shared(b->base + kPage).error() == Error::NotFound);
    REQUIRE(f.pool.mark_shared(w->base).ok());
    CHECK(f.pool.shared(w->base + 12345));
    // Given back and handed out again: not shared any more.
    REQUIRE(f.pool.give_back(a->base, a->bytes).ok());
    REQUIRE(f.pool.give_back(w->base, w->bytes).ok());
    auto again = f.pool.allocate(16);
    REQUIRE(again.ok());
    CHECK(again->base == a->base);
    CHECK_FALSE(f.pool.shared(again->base));
    auto w2 = f.pool.allocate(20);
    REQUIRE(w2.ok());
    CHECK_FALSE(f.pool.shared(w2->base));
}
