// FramePool allocation; see frame_pool.hpp.
#include "mem/frame_pool.hpp"

namespace mk::mem {

Result<PhysAddr> FramePool::alloc(usize pages) {
    if (pages == 0) return Error::InvalidArgument;
    if (pages == 1 && free_list_ != 0) {
        PhysAddr page = free_list_;
        free_list_ = *static_cast<PhysAddr*>(to_virtual_(page));
        --free_list_pages_;
        return page;
    }
    u64 bytes = u64{pages} * kPageSize;
    for (usize i = 0; i < free_.count(); ++i) {
        if (free_[i].size() >= bytes) {
            PhysAddr base = free_[i].base;
            TRY_STATUS(free_.remove(base, base + bytes));
            return base;
        }
    }
    return Error::NoMemory;
}

RangeSet FramePool::take_all_but(u64 keep) {
    RangeSet kept;
    keep = align_up(keep, kPageSize);
    if (keep >= free_.total()) return RangeSet{};
    (void)free_.take_low(keep, kept);
    RangeSet taken = free_;
    free_ = kept;
    return taken;
}

Status FramePool::free_page(PhysAddr page) {
    if (page == 0 || !is_aligned(page, kPageSize)) return Error::InvalidArgument;
    *static_cast<PhysAddr*>(to_virtual_(page)) = free_list_;
    free_list_ = page;
    ++free_list_pages_;
    return {};
}

}  // namespace mk::mem
