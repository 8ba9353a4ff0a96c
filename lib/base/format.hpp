// A small printf subset for freestanding code: %d %i %u %x %X %p %s %c %%,
// the length modifiers l, ll and z, a field width and the 0 and - flags.
// Output is always terminated and never overruns the buffer.
#pragma once

#include <stdarg.h>

#include "base/types.hpp"

namespace mk {

// Formats into buf (capacity cap). Returns the length the full output would
// have had, like snprintf, so callers can detect truncation.
usize format(char* buf, usize cap, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
usize vformat(char* buf, usize cap, const char* fmt, va_list ap);

// An appending line builder on a caller-owned buffer.
class LineBuffer {
public:
    LineBuffer(char* buf, usize cap) : buf_(buf), cap_(cap) { clear(); }
    void clear() {
        len_ = 0;
        if (cap_ > 0) buf_[0] = '\0';
    }
    void append(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
    void vappend(const char* fmt, va_list ap);
    const char* c_str() const { return buf_; }
    usize size() const { return len_; }
    bool truncated() const { return truncated_; }

private:
    char* buf_;
    usize cap_;
    usize len_ = 0;
    bool truncated_ = false;
};

}  // namespace mk
