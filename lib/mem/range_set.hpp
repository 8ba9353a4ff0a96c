// RangeSet: a small, fixed-capacity set of disjoint, sorted physical address
// ranges. The boot code uses it to compute free memory (usable regions minus
// the kernel, modules and boot data) and to cut it into per-core shares.
#pragma once

#include "base/result.hpp"
#include "base/types.hpp"

namespace mk::mem {

struct Range {
    PhysAddr base;
    PhysAddr end;  // exclusive
    u64 size() const { return end - base; }
};

class RangeSet {
public:
    static constexpr usize kCapacity = 32;

    // Adds [base, end), merging with neighbours. Full when out of room.
    Status add(PhysAddr base, PhysAddr end);
    // Removes [base, end) from every range it overlaps (may split one range).
    Status remove(PhysAddr base, PhysAddr end);
    // Shrinks every range to whole pages and drops those left empty.
    void page_align();

    usize count() const { return count_; }
    const Range& operator[](usize i) const { return ranges_[i]; }
    u64 total() const;

    // Moves `bytes` (a multiple of a page) from the low end of this set into
    // `out`; what is taken is removed from this set.
    Status take_low(u64 bytes, RangeSet& out);

private:
    Status insert_at(usize index, Range r);
    void erase_at(usize index);

    Range ranges_[kCapacity] = {};
    usize count_ = 0;
};

// Cuts `free` into `shares` parts of (nearly) equal size in whole pages,
// lowest addresses to share 0. The last share takes the remainder.
Status split_into_shares(RangeSet free, usize shares, RangeSet* out);

}  // namespace mk::mem
