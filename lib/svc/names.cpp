#include "svc/names.hpp"

#include "base/string.hpp"

namespace mk::svc {

bool valid_name(const char* name) {
    usize n = 0;
    for (; name[n] != '\0'; ++n) {
        char c = name[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok || n == kMaxName) return false;
    }
    return n > 0;
}

bool pack_name(const char* name, u64 (&words)[3]) {
    if (!valid_name(name)) return false;
    for (u64& w : words) w = 0;
    for (usize i = 0; name[i] != '\0'; ++i) words[i / 8] |= u64{static_cast<u8>(name[i])} << (8 * (i % 8));
    return true;
}

bool unpack_name(const u64 (&words)[3], char (&out)[kMaxName + 1]) {
    usize n = 0;
    for (; n < 24; ++n) {
        char c = static_cast<char>((words[n / 8] >> (8 * (n % 8))) & 0xff);
        if (c == '\0') break;
        if (n == kMaxName) return false;
        out[n] = c;
    }
    // After the terminator every byte must be zero: one name, one encoding.
    for (usize i = n; i < 24; ++i) {
        if (((words[i / 8] >> (8 * (i % 8))) & 0xff) != 0) return false;
    }
    out[n] = '\0';
    return valid_name(out);
}

i64 NameTable::find(const char* name) const {
    for (usize i = 0; i < used_; ++i) {
        if (str_eq(entries_[i].name, name)) return static_cast<i64>(i);
    }
    return -1;
}

u64 NameTable::lookup(const char* name) const {
    i64 i = find(name);
    return i < 0 ? 0 : entries_[i].cores;
}

usize NameTable::size() const { return used_; }

bool NameTable::entry(usize i, const char*& name, u64& cores) const {
    if (i >= used_) return false;
    name = entries_[i].name;
    cores = entries_[i].cores;
    return true;
}

Result<Update> NameTable::make(NameAction action, const char* name) {
    Update u;
    u.action = static_cast<u8>(action);
    if (!pack_name(name, u.arg)) return Error::InvalidArgument;
    return u;
}

bool NameTable::valid(const Update& u) const {
    char name[kMaxName + 1];
    return (u.action == u8(NameAction::Register) || u.action == u8(NameAction::Withdraw)) && unpack_name(u.arg, name);
}

bool NameTable::acceptable(const Update& u) const {
    char name[kMaxName + 1];
    if (!unpack_name(u.arg, name)) return false;
    return u.action != u8(NameAction::Register) || find(name) >= 0 || used_ < kMaxNames;
}

void NameTable::apply(const Update& u, u8 origin, u32) {
    char name[kMaxName + 1];
    if (!unpack_name(u.arg, name) || origin >= 64) return;
    i64 i = find(name);
    if (u.action == u8(NameAction::Register)) {
        if (i < 0) {
            if (used_ == kMaxNames) return;  // acceptable() said no before: never reached
            i = static_cast<i64>(used_++);
            str_copy(entries_[i].name, name, sizeof entries_[i].name);
            entries_[i].cores = 0;
        }
        entries_[i].cores |= u64{1} << origin;
    } else if (i >= 0) {
        entries_[i].cores &= ~(u64{1} << origin);
    }
}

}  // namespace mk::svc
