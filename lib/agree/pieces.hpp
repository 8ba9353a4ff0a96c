// PiecePool: the pieces a core hands out of the chunks it owns (what a
// monitor's Local.allocRam serves), and the way memory comes back to it.
//
// The ownership map (ownership.hpp) says which core owns each chunk and
// which of its own chunks are in use; this pool cuts chunks in use into
// naturally aligned power-of-two pieces, from a page to a whole chunk, and
// remembers each piece it handed out. When the last capability to a piece
// goes (a delete of the last copy, or a revoke, agreed by every core), the
// owner gives the piece back here; a chunk all of whose pieces came back is
// released to the map, so it can be handed out whole again or moved to
// another core. Only the owner of a chunk ever changes its pieces: no
// message, no lock, and nothing here is replicated.
//
// Every piece carries a tag (who asked for it), so a test can require that
// everything one program was given came back.
#pragma once

#include "agree/ownership.hpp"
#include "base/result.hpp"

namespace mk::agree {

class PiecePool {
public:
    static constexpr u32 kPageLog2 = 12;
    static constexpr u32 kMaxPages = 256;  // pages per chunk that can be split (1 MiB of 4 KiB pages)
    static constexpr u32 kMaxSplit = 128;  // chunks split into pieces at once

    struct Piece {
        u32 chunk;
        PhysAddr base;
        u64 bytes;
    };

    // Pieces come from the chunks `map` gives this core (OwnershipMap::allocate).
    // A chunk of more than kMaxPages pages is only handed out whole.
    explicit PiecePool(OwnershipMap& map);

    // A piece of 2^size_log2 bytes (a page up to a whole chunk), naturally
    // aligned: from a chunk already split if one has room (lowest address
    // first, so memory that came back is used again first), else from a
    // fresh chunk. Errors: OutOfRange (size), NoMemory (no chunk of this
    // core has room: time to move one here).
    Result<Piece> allocate(u32 size_log2, u8 tag = 0);

    // Whether [base, base + bytes) is exactly one piece handed out and not
    // given back.
    bool handed_out(PhysAddr base, u64 bytes) const;

    // Takes a piece back. Errors: InvalidArgument (not exactly a piece
    // handed out: never one, or given back already), and nothing changes.
    Status give_back(PhysAddr base, u64 bytes);

    // The piece handed out that holds `addr`. Errors: NotFound.
    Result<Piece> containing(PhysAddr addr) const;
    // Something inside the piece that holds `addr` was sent to another core
    // (so a capability there may keep it in use): deleting a capability in
    // it must ask every core. Cleared when the piece comes back. Errors:
    // NotFound (no piece holds it).
    Status mark_shared(PhysAddr addr);
    bool shared(PhysAddr addr) const;

    // Pieces handed out and not given back (with `tag`, or all).
    u32 outstanding(u8 tag) const;
    u32 outstanding() const;
    u64 given_back() const { return given_back_; }
    // Allocations that used memory given back before.
    u64 reused() const { return reused_; }
    u32 split_chunks() const;

    // Calls f(base, bytes) for every maximal free run of pages inside a
    // split chunk, and f(base, chunk bytes) for every chunk this core owns,
    // may use, and has not handed out (the pool's view of its free memory).
    template <typename F>
    void for_each_free(F f) const {
        for (const Split& s : split_) {
            if (!s.used) continue;
            for (u32 p = 0; p < pages_;) {
                if (test(s.busy, p)) {
                    ++p;
                    continue;
                }
                u32 first = p;
                while (p < pages_ && !test(s.busy, p)) ++p;
                f(map_.address_of(s.chunk) + (u64{first} << kPageLog2), u64{p - first} << kPageLog2);
            }
        }
        for (u32 c = 0; c < map_.chunks(); ++c) {
            if (map_.usable(c) && !map_.in_use(c)) f(map_.address_of(c), map_.chunk_bytes());
        }
    }

private:
    struct Split {
        bool used = false;
        u32 chunk = 0;
        u64 busy[kMaxPages / 64] = {};
        u64 returned[kMaxPages / 64] = {};  // given back since last handed out
        u8 order[kMaxPages] = {};           // a piece starts here: log2(pages) + 1; 0: none
        u8 tag[kMaxPages] = {};
        u8 shared[kMaxPages] = {};  // at a piece's first page
    };

    static bool test(const u64* bits, u32 i) { return (bits[i / 64] >> (i % 64)) & 1; }
    static bool any(const u64* bits, u32 first, u32 count);
    static void set(u64* bits, u32 first, u32 count, bool on);

    Split* find(u32 chunk);
    const Split* find(u32 chunk) const;
    // A free aligned run of `pages` in `s` (pages_ if none).
    u32 fit(const Split& s, u32 pages) const;
    Piece take(Split& s, u32 first, u32 order, u8 tag);
    // The first page of the piece of `s` that holds page `page`, or pages_.
    u32 start_of(const Split& s, u32 page) const;

    OwnershipMap& map_;
    u32 pages_;  // pages per chunk, 0 if chunks are too large to split
    Split split_[kMaxSplit];
    u64 whole_[OwnershipMap::kMaxChunks / 64] = {};     // chunks handed out whole
    u64 whole_shared_[OwnershipMap::kMaxChunks / 64] = {};
    u64 came_back_[OwnershipMap::kMaxChunks / 64] = {};  // chunks released after pieces came back
    u8 whole_tag_[OwnershipMap::kMaxChunks] = {};
    u64 given_back_ = 0, reused_ = 0;
};

}  // namespace mk::agree
