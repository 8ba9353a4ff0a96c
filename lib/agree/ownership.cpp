// The ownership map's local allocator and its part in the agreement
// protocol. A chunk move is checked by every replica (all of them must agree
// who owns the chunks now, or the request was based on a stale view), and by
// the current owner (the chunks must be free).
#include "agree/ownership.hpp"

namespace mk::agree {

Op encode(const ChunkMove& m) {
    Op op;
    op.family = kFamilyOwnership;
    op.action = kMoveChunks;
    op.small = u16(m.from | (u16(m.to) << 8));
    op.arg[0] = m.first;
    op.arg[1] = m.count;
    return op;
}

bool decode(const Op& op, ChunkMove* out) {
    if (op.family != kFamilyOwnership || op.action != kMoveChunks) return false;
    if (op.word != 0 || op.arg[2] != 0 || op.arg[0] > 0xffffffffu || op.arg[1] > 0xffffffffu) return false;
    out->from = u8(op.small & 0xff);
    out->to = u8(op.small >> 8);
    out->first = u32(op.arg[0]);
    out->count = u32(op.arg[1]);
    return true;
}

OwnershipMap::OwnershipMap(u8 self, u8 cores, PhysAddr base, u64 chunk_bytes, u32 chunks)
    : self_(self), cores_(cores), base_(base), chunk_bytes_(chunk_bytes),
      chunks_(chunks <= kMaxChunks ? chunks : kMaxChunks) {}

Status OwnershipMap::assign(u32 chunk, u8 owner) {
    if (chunk >= chunks_ || (owner >= cores_ && owner != kNoCore)) return Error::OutOfRange;
    owner_[chunk] = owner;
    return {};
}

u32 OwnershipMap::chunk_of(PhysAddr addr) const {
    if (addr < base_ || chunk_bytes_ == 0) return chunks_;
    const u64 index = (addr - base_) / chunk_bytes_;
    return index < chunks_ ? u32(index) : chunks_;
}

u32 OwnershipMap::owned_count(u8 core) const {
    u32 n = 0;
    for (u32 c = 0; c < chunks_; ++c) n += owner_[c] == core;
    return n;
}

u32 OwnershipMap::free_local() const {
    u32 n = 0;
    for (u32 c = 0; c < chunks_; ++c) n += usable(c) && !in_use(c);
    return n;
}

Result<u32> OwnershipMap::allocate() {
    for (u32 c = 0; c < chunks_; ++c)
        if (usable(c) && !in_use(c)) {
            flags_[c] |= kInUse;
            return c;
        }
    return Error::NoMemory;
}

Status OwnershipMap::release(u32 chunk) {
    if (!in_use(chunk) || owner_[chunk] != self_) return Error::InvalidArgument;
    flags_[chunk] &= u8(~kInUse);
    return {};
}

bool OwnershipMap::owns_range(u8 core, u32 first, u32 count) const {
    if (count == 0 || first >= chunks_ || count > chunks_ - first) return false;
    for (u32 c = first; c < first + count; ++c)
        if (owner_[c] != core) return false;
    return true;
}

u32 OwnershipMap::find_run(u8 core, u32 count) const {
    u32 run = 0;
    for (u32 c = 0; c < chunks_; ++c) {
        run = owner_[c] == core ? run + 1 : 0;
        if (count != 0 && run == count) return c + 1 - count;
    }
    return chunks_;
}

u64 OwnershipMap::digest() const {
    u64 h = 0xcbf29ce484222325ull;  // FNV-1a over (chunk count, owners)
    auto mix = [&h](u64 byte) { h = (h ^ byte) * 0x100000001b3ull; };
    for (int i = 0; i < 4; ++i) mix((chunks_ >> (8 * i)) & 0xff);
    for (u32 c = 0; c < chunks_; ++c) mix(owner_[c]);
    return h;
}

bool OwnershipMap::same_owners(const OwnershipMap& other) const {
    if (chunks_ != other.chunks_) return false;
    for (u32 c = 0; c < chunks_; ++c)
        if (owner_[c] != other.owner_[c]) return false;
    return true;
}

bool OwnershipMap::well_formed(const Op& op) const {
    ChunkMove m;
    if (!decode(op, &m)) return false;
    return m.from < cores_ && m.to < cores_ && m.from != m.to && m.count != 0 && m.first < chunks_ &&
           m.count <= chunks_ - m.first;
}

usize OwnershipMap::claims(const Op& op, Claim (&out)[kMaxClaims]) const {
    ChunkMove m;
    if (!decode(op, &m)) return 0;
    out[0] = {kSpacePhysical, address_of(m.first), address_of(m.first) + u64(m.count) * chunk_bytes_};
    return 1;
}

Vote OwnershipMap::prepare(const Op& op) {
    ChunkMove m;
    if (!decode(op, &m) || !owns_range(m.from, m.first, m.count)) return Vote::Refused;
    if (self_ != m.from) return Vote::Yes;
    for (u32 c = m.first; c < m.first + m.count; ++c)
        if (flags_[c] != 0) return Vote::Refused;  // in use (or pledged, which the locks rule out)
    for (u32 c = m.first; c < m.first + m.count; ++c) flags_[c] |= kPledged;
    return Vote::Yes;
}

void OwnershipMap::commit(const Op& op, u16) {
    ChunkMove m;
    if (!decode(op, &m)) return;
    for (u32 c = m.first; c < m.first + m.count; ++c) {
        owner_[c] = m.to;
        flags_[c] = 0;
    }
}

void OwnershipMap::abort(const Op& op) {
    ChunkMove m;
    if (!decode(op, &m) || self_ != m.from) return;
    for (u32 c = m.first; c < m.first + m.count; ++c) flags_[c] &= u8(~kPledged);
}

}  // namespace mk::agree
