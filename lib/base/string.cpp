// Byte and C-string helpers; see string.hpp.
#include "base/string.hpp"

namespace mk {

usize str_len(const char* s) {
    usize n = 0;
    while (s[n] != '\0') ++n;
    return n;
}

usize str_nlen(const char* s, usize max) {
    usize n = 0;
    while (n < max && s[n] != '\0') ++n;
    return n;
}

bool str_eq(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) {
        ++a;
        ++b;
    }
    return *a == *b;
}

bool str_starts_with(const char* s, const char* prefix) {
    while (*prefix != '\0') {
        if (*s++ != *prefix++) return false;
    }
    return true;
}

usize str_copy(char* dst, const char* src, usize cap) {
    if (cap == 0) return 0;
    usize n = 0;
    while (n + 1 < cap && src[n] != '\0') {
        dst[n] = src[n];
        ++n;
    }
    dst[n] = '\0';
    return n;
}

bool mem_eq(const void* a, const void* b, usize n) {
    auto* x = static_cast<const u8*>(a);
    auto* y = static_cast<const u8*>(b);
    for (usize i = 0; i < n; ++i) {
        if (x[i] != y[i]) return false;
    }
    return true;
}

}  // namespace mk

#if MK_FREESTANDING
// The compiler may emit calls to these four even in freestanding code.
// Simple loops are enough here; none is on a hot path of the CPU driver.
extern "C" {
void* memcpy(void* dst, const void* src, mk::usize n) {
    auto* d = static_cast<mk::u8*>(dst);
    auto* s = static_cast<const mk::u8*>(src);
    for (mk::usize i = 0; i < n; ++i) d[i] = s[i];
    return dst;
}
void* memmove(void* dst, const void* src, mk::usize n) {
    auto* d = static_cast<mk::u8*>(dst);
    auto* s = static_cast<const mk::u8*>(src);
    if (d < s) {
        for (mk::usize i = 0; i < n; ++i) d[i] = s[i];
    } else {
        for (mk::usize i = n; i > 0; --i) d[i - 1] = s[i - 1];
    }
    return dst;
}
void* memset(void* dst, int c, mk::usize n) {
    auto* d = static_cast<mk::u8*>(dst);
    for (mk::usize i = 0; i < n; ++i) d[i] = static_cast<mk::u8>(c);
    return dst;
}
int memcmp(const void* a, const void* b, mk::usize n) {
    auto* x = static_cast<const mk::u8*>(a);
    auto* y = static_cast<const mk::u8*>(b);
    for (mk::usize i = 0; i < n; ++i) {
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}
}
#endif
