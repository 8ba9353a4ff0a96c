// PiecePool: bitmaps of busy pages per split chunk, the size of each piece at
// its first page, and whole chunks in a bitset (pieces.hpp).
#include "agree/pieces.hpp"

namespace mk::agree {

PiecePool::PiecePool(OwnershipMap& map) : map_(map) {
    const u64 pages = map.chunk_bytes() >> kPageLog2;
    const bool splittable = is_aligned(map.chunk_bytes(), u64{1} << kPageLog2) && pages >= 1 && pages <= kMaxPages &&
                            (pages & (pages - 1)) == 0;
    pages_ = splittable ? static_cast<u32>(pages) : 0;
}

bool PiecePool::any(const u64* bits, u32 first, u32 count) {
    for (u32 i = first; i < first + count; ++i)
        if (test(bits, i)) return true;
    return false;
}

void PiecePool::set(u64* bits, u32 first, u32 count, bool on) {
    for (u32 i = first; i < first + count; ++i) {
        if (on) bits[i / 64] |= u64{1} << (i % 64);
        else bits[i / 64] &= ~(u64{1} << (i % 64));
    }
}

PiecePool::Split* PiecePool::find(u32 chunk) {
    for (Split& s : split_)
        if (s.used && s.chunk == chunk) return &s;
    return nullptr;
}

const PiecePool::Split* PiecePool::find(u32 chunk) const {
    for (const Split& s : split_)
        if (s.used && s.chunk == chunk) return &s;
    return nullptr;
}

u32 PiecePool::fit(const Split& s, u32 pages) const {
    for (u32 p = 0; p + pages <= pages_; p += pages)
        if (!any(s.busy, p, pages)) return p;
    return pages_;
}

PiecePool::Piece PiecePool::take(Split& s, u32 first, u32 order, u8 tag) {
    const u32 pages = 1u << order;
    if (any(s.returned, first, pages)) ++reused_;
    set(s.returned, first, pages, false);
    set(s.busy, first, pages, true);
    s.order[first] = static_cast<u8>(order + 1);
    s.tag[first] = tag;
    s.shared[first] = 0;
    return {s.chunk, map_.address_of(s.chunk) + (u64{first} << kPageLog2), u64{pages} << kPageLog2};
}

Result<PiecePool::Piece> PiecePool::allocate(u32 size_log2, u8 tag) {
    const u64 bytes = u64{1} << (size_log2 < 63 ? size_log2 : 0);
    if (size_log2 < kPageLog2 || size_log2 >= 63 || bytes > map_.chunk_bytes()) return Error::OutOfRange;
    if (bytes == map_.chunk_bytes()) {
        const u32 c = TRY(map_.allocate());
        whole_[c / 64] |= u64{1} << (c % 64);
        whole_shared_[c / 64] &= ~(u64{1} << (c % 64));
        whole_tag_[c] = tag;
        if (came_back_[c / 64] & (u64{1} << (c % 64))) ++reused_;
        came_back_[c / 64] &= ~(u64{1} << (c % 64));
        return Piece{c, map_.address_of(c), bytes};
    }
    if (pages_ == 0) return Error::OutOfRange;  // chunks too large to split
    const u32 order = size_log2 - kPageLog2;
    const u32 pages = 1u << order;
    // Lowest split chunk first: memory given back is used again before fresh chunks.
    Split* best = nullptr;
    u32 best_page = 0;
    for (Split& s : split_) {
        if (!s.used || (best != nullptr && s.chunk > best->chunk)) continue;
        const u32 p = fit(s, pages);
        if (p == pages_) continue;
        best = &s;
        best_page = p;
    }
    if (best != nullptr) return take(*best, best_page, order, tag);
    Split* slot = nullptr;
    for (Split& s : split_)
        if (!s.used) {
            slot = &s;
            break;
        }
    if (slot == nullptr) return Error::NoMemory;
    const u32 c = TRY(map_.allocate());
    *slot = Split{};
    slot->used = true;
    slot->chunk = c;
    if (came_back_[c / 64] & (u64{1} << (c % 64))) set(slot->returned, 0, pages_, true);
    came_back_[c / 64] &= ~(u64{1} << (c % 64));
    return take(*slot, 0, order, tag);
}

bool PiecePool::handed_out(PhysAddr base, u64 bytes) const {
    const u32 c = map_.chunk_of(base);
    if (c >= map_.chunks() || bytes == 0 || !map_.in_use(c) || map_.owner(c) != map_.self()) return false;
    const PhysAddr start = map_.address_of(c);
    if (bytes == map_.chunk_bytes()) return base == start && (whole_[c / 64] & (u64{1} << (c % 64))) != 0;
    const Split* s = find(c);
    if (s == nullptr || bytes > map_.chunk_bytes() || (bytes & (bytes - 1)) != 0) return false;
    if (!is_aligned(base - start, bytes) || !is_aligned(bytes, u64{1} << kPageLog2)) return false;
    const u32 first = static_cast<u32>((base - start) >> kPageLog2);
    const u32 pages = static_cast<u32>(bytes >> kPageLog2);
    return s->order[first] != 0 && (1u << (s->order[first] - 1)) == pages;
}

Status PiecePool::give_back(PhysAddr base, u64 bytes) {
    if (!handed_out(base, bytes)) return Error::InvalidArgument;
    const u32 c = map_.chunk_of(base);
    ++given_back_;
    if (bytes == map_.chunk_bytes()) {
        whole_[c / 64] &= ~(u64{1} << (c % 64));
        whole_shared_[c / 64] &= ~(u64{1} << (c % 64));
        came_back_[c / 64] |= u64{1} << (c % 64);
        return map_.release(c);
    }
    Split& s = *find(c);
    const u32 first = static_cast<u32>((base - map_.address_of(c)) >> kPageLog2);
    const u32 pages = static_cast<u32>(bytes >> kPageLog2);
    s.order[first] = 0;
    s.tag[first] = 0;
    s.shared[first] = 0;
    set(s.busy, first, pages, false);
    set(s.returned, first, pages, true);
    if (any(s.busy, 0, pages_)) return {};
    // Every piece came back: the chunk is free again, whole.
    s.used = false;
    came_back_[c / 64] |= u64{1} << (c % 64);
    return map_.release(c);
}

u32 PiecePool::start_of(const Split& s, u32 page) const {
    // Pieces are aligned to their size: the one holding `page` starts at
    // `page` rounded down to some power of two.
    for (u32 order = 0; (1u << order) <= pages_; ++order) {
        const u32 first = page & ~((1u << order) - 1);
        if (s.order[first] == order + 1) return first;
    }
    return pages_;
}

Result<PiecePool::Piece> PiecePool::containing(PhysAddr addr) const {
    const u32 c = map_.chunk_of(addr);
    if (c >= map_.chunks() || map_.owner(c) != map_.self() || !map_.in_use(c)) return Error::NotFound;
    if ((whole_[c / 64] >> (c % 64)) & 1) return Piece{c, map_.address_of(c), map_.chunk_bytes()};
    const Split* s = find(c);
    if (s == nullptr) return Error::NotFound;
    const u32 first = start_of(*s, static_cast<u32>((addr - map_.address_of(c)) >> kPageLog2));
    if (first == pages_) return Error::NotFound;
    return Piece{c, map_.address_of(c) + (u64{first} << kPageLog2), u64{1u << (s->order[first] - 1)} << kPageLog2};
}

Status PiecePool::mark_shared(PhysAddr addr) {
    const Piece p = TRY(containing(addr));
    if (p.bytes == map_.chunk_bytes()) {
        whole_shared_[p.chunk / 64] |= u64{1} << (p.chunk % 64);
        return {};
    }
    find(p.chunk)->shared[(p.base - map_.address_of(p.chunk)) >> kPageLog2] = 1;
    return {};
}

bool PiecePool::shared(PhysAddr addr) const {
    auto p = containing(addr);
    if (!p.ok()) return false;
    if (p->bytes == map_.chunk_bytes()) return ((whole_shared_[p->chunk / 64] >> (p->chunk % 64)) & 1) != 0;
    return find(p->chunk)->shared[(p->base - map_.address_of(p->chunk)) >> kPageLog2] != 0;
}

u32 PiecePool::outstanding(u8 tag) const {
    u32 n = 0;
    for (const Split& s : split_) {
        if (!s.used) continue;
        for (u32 p = 0; p < pages_; ++p) n += s.order[p] != 0 && s.tag[p] == tag;
    }
    for (u32 c = 0; c < map_.chunks(); ++c) n += ((whole_[c / 64] >> (c % 64)) & 1) != 0 && whole_tag_[c] == tag;
    return n;
}

u32 PiecePool::outstanding() const {
    u32 n = 0;
    for (const Split& s : split_) {
        if (!s.used) continue;
        for (u32 p = 0; p < pages_; ++p) n += s.order[p] != 0;
    }
    for (u32 c = 0; c < map_.chunks(); ++c) n += (whole_[c / 64] >> (c % 64)) & 1;
    return n;
}

u32 PiecePool::split_chunks() const {
    u32 n = 0;
    for (const Split& s : split_) n += s.used;
    return n;
}

}  // namespace mk::agree
