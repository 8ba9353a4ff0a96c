// Span<T>: a pointer and a length, with checked element access helpers.
#pragma once

#include "base/types.hpp"

namespace mk {

template <typename T>
class Span {
public:
    constexpr Span() = default;
    constexpr Span(T* data, usize size) : data_(data), size_(size) {}
    template <usize N>
    constexpr Span(T (&array)[N]) : data_(array), size_(N) {}

    constexpr T* data() const { return data_; }
    constexpr usize size() const { return size_; }
    constexpr bool empty() const { return size_ == 0; }
    constexpr T& operator[](usize i) const { return data_[i]; }
    constexpr T* begin() const { return data_; }
    constexpr T* end() const { return data_ + size_; }

    // The sub-span [offset, offset + count), or an empty span if it does not fit.
    constexpr Span subspan(usize offset, usize count) const {
        if (offset > size_ || count > size_ - offset) return {};
        return Span(data_ + offset, count);
    }
    constexpr bool contains_range(usize offset, usize count) const {
        return offset <= size_ && count <= size_ - offset;
    }

private:
    T* data_ = nullptr;
    usize size_ = 0;
};

using Bytes = Span<const u8>;

}  // namespace mk
