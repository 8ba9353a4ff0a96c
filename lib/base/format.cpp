// The printf subset of format.hpp.
#include "base/format.hpp"

namespace mk {
namespace {

class Sink {
public:
    Sink(char* buf, usize cap) : buf_(buf), cap_(cap) {}
    void put(char c) {
        if (cap_ > 0 && len_ + 1 < cap_) buf_[len_] = c;
        ++len_;
    }
    void finish() {
        if (cap_ == 0) return;
        buf_[len_ < cap_ ? len_ : cap_ - 1] = '\0';
    }
    usize length() const { return len_; }

private:
    char* buf_;
    usize cap_;
    usize len_ = 0;
};

struct Spec {
    bool left = false;
    bool zero = false;
    unsigned width = 0;
};

void put_padded(Sink& out, const char* s, usize n, const Spec& spec, char pad) {
    usize fill = spec.width > n ? spec.width - n : 0;
    if (!spec.left) {
        for (usize i = 0; i < fill; ++i) out.put(pad);
    }
    for (usize i = 0; i < n; ++i) out.put(s[i]);
    if (spec.left) {
        for (usize i = 0; i < fill; ++i) out.put(' ');
    }
}

void put_number(Sink& out, u64 v, bool negative, unsigned base, bool upper, const Spec& spec) {
    char digits[24];
    usize n = 0;
    const char* table = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        digits[n++] = table[v % base];
        v /= base;
    } while (v != 0);
    if (negative && spec.zero && !spec.left) {
        // The sign goes before the zero padding: -0042.
        out.put('-');
        Spec rest = spec;
        rest.width = spec.width > 0 ? spec.width - 1 : 0;
        char text[24];
        for (usize i = 0; i < n; ++i) text[i] = digits[n - 1 - i];
        put_padded(out, text, n, rest, '0');
        return;
    }
    if (negative) digits[n++] = '-';
    char text[24];
    for (usize i = 0; i < n; ++i) text[i] = digits[n - 1 - i];
    put_padded(out, text, n, spec, spec.zero && !spec.left ? '0' : ' ');
}

}  // namespace

usize vformat(char* buf, usize cap, const char* fmt, va_list ap) {
    Sink out(buf, cap);
    for (const char* p = fmt; *p != '\0'; ++p) {
        if (*p != '%') {
            out.put(*p);
            continue;
        }
        ++p;
        Spec spec;
        for (;; ++p) {
            if (*p == '-') spec.left = true;
            else if (*p == '0') spec.zero = true;
            else break;
        }
        while (*p >= '0' && *p <= '9') spec.width = spec.width * 10 + static_cast<unsigned>(*p++ - '0');
        int longs = 0;
        bool size_t_arg = false;
        while (*p == 'l') {
            ++longs;
            ++p;
        }
        if (*p == 'z') {
            size_t_arg = true;
            ++p;
        }
        auto take_unsigned = [&]() -> u64 {
            if (size_t_arg) return va_arg(ap, usize);
            if (longs >= 2) return va_arg(ap, unsigned long long);
            if (longs == 1) return va_arg(ap, unsigned long);
            return va_arg(ap, unsigned int);
        };
        switch (*p) {
            case 'd':
            case 'i': {
                i64 v;
                if (size_t_arg) v = static_cast<i64>(va_arg(ap, usize));
                else if (longs >= 2) v = va_arg(ap, long long);
                else if (longs == 1) v = va_arg(ap, long);
                else v = va_arg(ap, int);
                u64 magnitude = v < 0 ? 0 - static_cast<u64>(v) : static_cast<u64>(v);
                put_number(out, magnitude, v < 0, 10, false, spec);
                break;
            }
            case 'u': put_number(out, take_unsigned(), false, 10, false, spec); break;
            case 'x': put_number(out, take_unsigned(), false, 16, false, spec); break;
            case 'X': put_number(out, take_unsigned(), false, 16, true, spec); break;
            case 'p': {
                auto v = reinterpret_cast<uptr>(va_arg(ap, void*));
                out.put('0');
                out.put('x');
                Spec hex;
                hex.zero = true;
                hex.width = 16;
                put_number(out, v, false, 16, false, hex);
                break;
            }
            case 's': {
                const char* s = va_arg(ap, const char*);
                if (s == nullptr) s = "(null)";
                usize n = 0;
                while (s[n] != '\0') ++n;
                put_padded(out, s, n, spec, ' ');
                break;
            }
            case 'c': {
                char c = static_cast<char>(va_arg(ap, int));
                put_padded(out, &c, 1, spec, ' ');
                break;
            }
            case '%': out.put('%'); break;
            case '\0': --p; break;  // a lone '%' at the end: print nothing more
            default:
                // Unknown conversion: show it literally so the mistake is visible.
                out.put('%');
                out.put(*p);
                break;
        }
    }
    out.finish();
    return out.length();
}

usize format(char* buf, usize cap, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    usize n = vformat(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

void LineBuffer::vappend(const char* fmt, va_list ap) {
    usize room = cap_ - len_;
    usize n = vformat(buf_ + len_, room, fmt, ap);
    if (n >= room) {
        truncated_ = true;
        len_ = cap_ > 0 ? cap_ - 1 : 0;
    } else {
        len_ += n;
    }
}

void LineBuffer::append(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vappend(fmt, ap);
    va_end(ap);
}

}  // namespace mk
