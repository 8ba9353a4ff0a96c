// Sorting small arrays of samples in place (benchmark medians and
// percentiles). Insertion sort: a few thousand values at most, no
// allocation, no library.
#pragma once

#include "base/types.hpp"

namespace mk {

inline void sort_in_place(u64* v, usize n) {
    for (usize i = 1; i < n; ++i) {
        u64 x = v[i];
        usize j = i;
        for (; j > 0 && v[j - 1] > x; --j) v[j] = v[j - 1];
        v[j] = x;
    }
}

}  // namespace mk
