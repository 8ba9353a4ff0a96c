// OwnershipMap: one core's replica of the physical-memory ownership map.
// Memory is cut into fixed-size chunks; each chunk is owned by exactly one
// core, which serves its local allocations from its own chunks without
// sending a message. Moving chunks between cores (a core that runs dry asks
// another for some; rebalancing) is an agreed operation, so every replica
// sees the same moves in the same order and all replicas end up identical.
//
// Only the owner knows which of its chunks are in use; the other replicas
// only need the owner of each chunk. The owner refuses to give away a chunk
// in use, and once it has voted Yes for a move it "pledges" the chunks so no
// local allocation takes them before the decision arrives.
#pragma once

#include "agree/router.hpp"
#include "base/result.hpp"

namespace mk::agree {

inline constexpr u8 kMoveChunks = 1;  // Op::action: move [first, first + count) from one core to another

// A request to move chunks [first, first + count) from core `from` to `to`.
struct ChunkMove {
    u32 first = 0;
    u32 count = 0;
    u8 from = 0;
    u8 to = 0;
};

Op encode(const ChunkMove& m);
// False if the operation is not a well-formed chunk move.
bool decode(const Op& op, ChunkMove* out);

class OwnershipMap final : public Application {
public:
    static constexpr u32 kMaxChunks = 4096;

    // Chunks [0, chunks) cover [base, base + chunks * chunk_bytes). Every
    // chunk starts owned by core 0 until assign() says otherwise.
    OwnershipMap(u8 self, u8 cores, PhysAddr base, u64 chunk_bytes, u32 chunks);

    // The boot-time split, identical on every core. kNoCore: the chunk is in
    // no core's pool (never allocated, never moved). Errors: OutOfRange.
    Status assign(u32 chunk, u8 owner);

    u8 self() const { return self_; }
    u32 chunks() const { return chunks_; }
    u64 chunk_bytes() const { return chunk_bytes_; }
    PhysAddr address_of(u32 chunk) const { return base_ + u64(chunk) * chunk_bytes_; }
    // The chunk holding `addr`, or chunks() if none does.
    u32 chunk_of(PhysAddr addr) const;
    u8 owner(u32 chunk) const { return chunk < chunks_ ? owner_[chunk] : kNoCore; }
    bool in_use(u32 chunk) const { return chunk < chunks_ && (flags_[chunk] & kInUse); }
    bool pledged(u32 chunk) const { return chunk < chunks_ && (flags_[chunk] & kPledged); }
    // Owned here and not pledged away: what this core may allocate from.
    bool usable(u32 chunk) const { return owner(chunk) == self_ && !pledged(chunk); }
    u32 owned_count(u8 core) const;
    u32 free_local() const;

    // Local allocation: a chunk this core owns, not in use, not pledged.
    // No messages. Errors: NoMemory (time to ask another core).
    Result<u32> allocate();
    // Errors: InvalidArgument (not a chunk in use here).
    Status release(u32 chunk);

    // Whether the replica says [first, first + count) all belongs to `core`.
    bool owns_range(u8 core, u32 first, u32 count) const;
    // The lowest run of `count` chunks owned by `core` in this replica, or
    // chunks() if there is none. A good guess for what to ask `core` for.
    u32 find_run(u8 core, u32 count) const;

    // Replicas agree on owners; flags are local knowledge.
    bool same_owners(const OwnershipMap& other) const;
    // A hash of the owners, so replicas on different cores can be compared
    // by sending one word.
    u64 digest() const;

    // Application (engine.hpp).
    bool well_formed(const Op& op) const override;
    usize claims(const Op& op, Claim (&out)[kMaxClaims]) const override;
    Vote prepare(const Op& op) override;
    void commit(const Op& op, u16 answers) override;
    void abort(const Op& op) override;

private:
    static constexpr u8 kInUse = 1;
    static constexpr u8 kPledged = 2;

    u8 self_;
    u8 cores_;
    PhysAddr base_;
    u64 chunk_bytes_;
    u32 chunks_;
    u8 owner_[kMaxChunks] = {};
    u8 flags_[kMaxChunks] = {};
};

}  // namespace mk::agree
