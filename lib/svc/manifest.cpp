#include "svc/manifest.hpp"

#include "base/string.hpp"

namespace mk::svc {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Parses a core list: `all`, or numbers and ranges separated by commas.
bool parse_cores(const char* s, usize n, u64& out, const char*& what) {
    if (n == 3 && s[0] == 'a' && s[1] == 'l' && s[2] == 'l') {
        out = ~u64{0};
        return true;
    }
    out = 0;
    usize i = 0;
    while (i < n) {
        u32 first = 0, last = 0;
        usize digits = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9' && digits < 3; ++i, ++digits) first = first * 10 + u32(s[i] - '0');
        if (digits == 0) {
            what = "expected a core number, a range N-M or `all`";
            return false;
        }
        last = first;
        if (i < n && s[i] == '-') {
            ++i;
            last = 0;
            digits = 0;
            for (; i < n && s[i] >= '0' && s[i] <= '9' && digits < 3; ++i, ++digits) last = last * 10 + u32(s[i] - '0');
            if (digits == 0 || last < first) {
                what = "a range must be N-M with N <= M";
                return false;
            }
        }
        if (last >= 64) {
            what = "core numbers go up to 63";
            return false;
        }
        for (u32 c = first; c <= last; ++c) out |= u64{1} << c;
        if (i < n) {
            if (s[i] != ',' || i + 1 == n) {
                what = "cores are separated by commas";
                return false;
            }
            ++i;
        }
    }
    return true;
}

}  // namespace

Status Manifest::parse(const char* text, usize len, ManifestError& error) {
    Manifest fresh;
    error = {};
    u32 line = 0;
    usize pos = 0;
    while (pos < len && text[pos] != '\0') {
        ++line;
        usize end = pos;
        while (end < len && text[end] != '\0' && text[end] != '\n') ++end;
        // Words of this line, up to a comment.
        const char* words[3] = {};
        usize sizes[3] = {};
        usize count = 0;
        for (usize i = pos; i < end && text[i] != '#';) {
            if (is_space(text[i])) {
                ++i;
                continue;
            }
            usize j = i;
            while (j < end && !is_space(text[j]) && text[j] != '#') ++j;
            if (count == 3) break;
            words[count] = text + i;
            sizes[count] = j - i;
            ++count;
            i = j;
        }
        pos = end < len && text[end] == '\n' ? end + 1 : end;
        if (count == 0) continue;
        auto fail = [&](const char* what) {
            error = {line, what};
            return Status{Error::InvalidArgument};
        };
        if (count != 2) return fail("a line is `name cores`");
        if (sizes[0] > kMaxName) return fail("a service name has at most 23 characters");
        ManifestEntry e;
        for (usize i = 0; i < sizes[0]; ++i) e.name[i] = words[0][i];
        if (!valid_name(e.name)) return fail("a service name is made of a-z, 0-9, _ and -");
        const char* what = "";
        if (!parse_cores(words[1], sizes[1], e.cores, what)) return fail(what);
        if (fresh.find(e.name) != nullptr) return fail("a service is listed twice");
        if (fresh.count_ == kMaxEntries) return fail("too many services (at most 16)");
        fresh.entries_[fresh.count_++] = e;
    }
    *this = fresh;
    return {};
}

const ManifestEntry* Manifest::find(const char* name) const {
    for (usize i = 0; i < count_; ++i) {
        if (str_eq(entries_[i].name, name)) return &entries_[i];
    }
    return nullptr;
}

u64 Manifest::cores_of(const char* name, u32 cores) const {
    const ManifestEntry* e = find(name);
    return e == nullptr ? 0 : e->cores & all_cores(cores);
}

}  // namespace mk::svc
