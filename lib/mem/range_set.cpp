// RangeSet operations; see range_set.hpp.
#include "mem/range_set.hpp"

namespace mk::mem {

Status RangeSet::insert_at(usize index, Range r) {
    if (count_ == kCapacity) return Error::Full;
    for (usize i = count_; i > index; --i) ranges_[i] = ranges_[i - 1];
    ranges_[index] = r;
    ++count_;
    return {};
}

void RangeSet::erase_at(usize index) {
    for (usize i = index; i + 1 < count_; ++i) ranges_[i] = ranges_[i + 1];
    --count_;
}

Status RangeSet::add(PhysAddr base, PhysAddr end) {
    if (end < base) return Error::InvalidArgument;
    if (end == base) return {};
    // Find the first range that ends at or after base: it may merge.
    usize i = 0;
    while (i < count_ && ranges_[i].end < base) ++i;
    if (i == count_ || ranges_[i].base > end) return insert_at(i, {base, end});
    // Merge with ranges_[i] and every following range that touches.
    Range merged{base < ranges_[i].base ? base : ranges_[i].base, end > ranges_[i].end ? end : ranges_[i].end};
    usize j = i + 1;
    while (j < count_ && ranges_[j].base <= merged.end) {
        if (ranges_[j].end > merged.end) merged.end = ranges_[j].end;
        ++j;
    }
    ranges_[i] = merged;
    for (usize k = i + 1; k < j; ++k) erase_at(i + 1);
    return {};
}

Status RangeSet::remove(PhysAddr base, PhysAddr end) {
    if (end < base) return Error::InvalidArgument;
    for (usize i = 0; i < count_;) {
        Range r = ranges_[i];
        if (r.end <= base || r.base >= end) {
            ++i;
            continue;
        }
        bool keep_low = r.base < base;
        bool keep_high = r.end > end;
        if (keep_low && keep_high) {
            ranges_[i].end = base;
            return insert_at(i + 1, {end, r.end});
        }
        if (keep_low) {
            ranges_[i].end = base;
            ++i;
        } else if (keep_high) {
            ranges_[i].base = end;
            ++i;
        } else {
            erase_at(i);
        }
    }
    return {};
}

void RangeSet::page_align() {
    for (usize i = 0; i < count_;) {
        PhysAddr b = align_up(ranges_[i].base, kPageSize);
        PhysAddr e = align_down(ranges_[i].end, kPageSize);
        if (e <= b) {
            erase_at(i);
        } else {
            ranges_[i] = {b, e};
            ++i;
        }
    }
}

u64 RangeSet::total() const {
    u64 sum = 0;
    for (usize i = 0; i < count_; ++i) sum += ranges_[i].size();
    return sum;
}

Status RangeSet::take_low(u64 bytes, RangeSet& out) {
    if (!is_aligned(bytes, kPageSize)) return Error::InvalidArgument;
    if (bytes > total()) return Error::NoMemory;
    while (bytes > 0) {
        Range& r = ranges_[0];
        u64 n = r.size() < bytes ? r.size() : bytes;
        TRY_STATUS(out.add(r.base, r.base + n));
        bytes -= n;
        if (n == r.size()) erase_at(0);
        else r.base += n;
    }
    return {};
}

Status split_into_shares(RangeSet free, usize shares, RangeSet* out) {
    if (shares == 0) return Error::InvalidArgument;
    free.page_align();
    u64 pages = free.total() / kPageSize;
    if (pages < shares) return Error::NoMemory;
    u64 per_share = (pages / shares) * kPageSize;
    for (usize s = 0; s + 1 < shares; ++s) {
        out[s] = RangeSet{};
        TRY_STATUS(free.take_low(per_share, out[s]));
    }
    out[shares - 1] = free;
    return {};
}

}  // namespace mk::mem
