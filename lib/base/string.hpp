// Byte and C-string helpers. In the guest these also provide the memcpy,
// memset, memmove and memcmp symbols the compiler may emit calls to.
#pragma once

#include "base/types.hpp"

namespace mk {

usize str_len(const char* s);
usize str_nlen(const char* s, usize max);
bool str_eq(const char* a, const char* b);
bool str_starts_with(const char* s, const char* prefix);
// Copies at most cap-1 bytes and always terminates (when cap > 0). Returns the length copied.
usize str_copy(char* dst, const char* src, usize cap);
bool mem_eq(const void* a, const void* b, usize n);

// Reads a little-endian value from possibly unaligned bytes.
template <typename T>
inline T load_le(const u8* p) {
    T v = 0;
    for (usize i = 0; i < sizeof(T); ++i) v |= static_cast<T>(static_cast<T>(p[i]) << (8 * i));
    return v;
}

}  // namespace mk
