// Command-line word lookup; see cmdline.hpp.
#include "boot/cmdline.hpp"

#include "base/string.hpp"

namespace mk::boot {

const char* skip_image_path(const char* text) {
    const char* p = text;
    while (*p == ' ') ++p;
    const char* word = p;
    bool has_slash = false;
    for (; *p != '\0' && *p != ' '; ++p) {
        if (*p == '/') has_slash = true;
    }
    usize n = static_cast<usize>(p - word);
    bool elf = n >= 4 && mem_eq(p - 4, ".elf", 4);
    if (!has_slash && !elf) return text;
    while (*p == ' ') ++p;
    return p;
}

const char* CommandLine::find(const char* key, bool& has_value) const {
    usize key_len = str_len(key);
    const char* p = text_;
    while (*p != '\0') {
        while (*p == ' ') ++p;
        const char* word = p;
        while (*p != '\0' && *p != ' ') ++p;
        usize word_len = static_cast<usize>(p - word);
        if (word_len >= key_len && mem_eq(word, key, key_len)) {
            if (word_len == key_len) {
                has_value = false;
                return word + key_len;
            }
            if (word[key_len] == '=') {
                has_value = true;
                return word + key_len + 1;
            }
        }
    }
    return nullptr;
}

bool CommandLine::has(const char* key) const {
    bool has_value = false;
    return find(key, has_value) != nullptr;
}

Status CommandLine::get(const char* key, char* buf, usize cap) const {
    bool has_value = false;
    const char* v = find(key, has_value);
    if (v == nullptr || !has_value) return Error::NotFound;
    usize n = 0;
    while (v[n] != '\0' && v[n] != ' ') ++n;
    if (n + 1 > cap) return Error::TooLong;
    for (usize i = 0; i < n; ++i) buf[i] = v[i];
    buf[n] = '\0';
    return {};
}

Result<u64> CommandLine::get_u64(const char* key, u64 fallback) const {
    char buf[24];
    Status s = get(key, buf, sizeof buf);
    if (s.error() == Error::NotFound) return fallback;
    if (!s.ok()) return s.error();
    const char* p = buf;
    unsigned base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (*p == '\0') return Error::InvalidArgument;
    u64 v = 0;
    for (; *p != '\0'; ++p) {
        unsigned d;
        if (*p >= '0' && *p <= '9') d = static_cast<unsigned>(*p - '0');
        else if (base == 16 && *p >= 'a' && *p <= 'f') d = static_cast<unsigned>(*p - 'a' + 10);
        else if (base == 16 && *p >= 'A' && *p <= 'F') d = static_cast<unsigned>(*p - 'A' + 10);
        else return Error::InvalidArgument;
        if (v > (~u64{0} - d) / base) return Error::OutOfRange;
        v = v * base + d;
    }
    return v;
}

}  // namespace mk::boot
