// The reference model for the random workload (random_test.cpp): objects,
// the object each was derived from, and what every slot holds, in std
// containers, with the rules written out again independently of lib/caps.
#pragma once

#include <optional>
#include <set>

#include "support.hpp"

namespace caps_test {

struct Key {
    CapType type;
    u64 base, bytes, word;
    auto operator<=>(const Key&) const = default;
};

inline Key key_of(const Capability& c) { return {c.type, c.base, c.bytes, c.type == CapType::Endpoint ? 0 : c.word}; }

// The model's own notion of where an object lies.
struct Span64 {
    int space;
    u64 begin, end;
};
inline Span64 where(const Key& k) {
    switch (k.type) {
        case CapType::Io: return {2, k.word & 0xffffffffu, (k.word & 0xffffffffu) + (k.word >> 32)};
        case CapType::Irq: return {3, k.word, k.word + 1};
        case CapType::Kernel: return {0, 0, 0};
        default: return {1, k.base, k.base + k.bytes};
    }
}
inline bool clash(const Key& a, const Key& b) {
    const Span64 x = where(a), y = where(b);
    return x.space == y.space && x.space != 0 && x.begin < y.end && y.begin < x.end;
}

inline bool pow2(u64 v) { return v != 0 && (v & (v - 1)) == 0; }
inline bool model_may_make(CapType from, CapType to) {
    static const std::set<std::pair<CapType, CapType>> ok = {
        {CapType::Ram, CapType::Ram}, {CapType::Ram, CapType::Frame}, {CapType::Ram, CapType::CNode},
        {CapType::Ram, CapType::Pml4}, {CapType::Ram, CapType::Pdpt}, {CapType::Ram, CapType::Pd},
        {CapType::Ram, CapType::Pt}, {CapType::Ram, CapType::Dispatcher}, {CapType::Ram, CapType::Endpoint},
        {CapType::Frame, CapType::Frame}, {CapType::Io, CapType::Io}};
    return ok.count({from, to}) == 1;
}
inline bool model_size_ok(CapType t, u64 s) {
    if (!pow2(s)) return false;
    if (t == CapType::Ram || t == CapType::Frame) return s >= 4096;
    if (t == CapType::CNode) return s >= 64;
    if (t == CapType::Pml4 || t == CapType::Pdpt || t == CapType::Pd || t == CapType::Pt) return s == 4096;
    if (t == CapType::Dispatcher) return s == 1024;
    if (t == CapType::Endpoint) return s == 64;
    if (t == CapType::Io) return s <= 65536;
    return false;
}

struct Gone {
    Key key;
    bool had;
    auto operator<=>(const Gone&) const = default;
};

struct Model {
    std::map<Cte*, Capability> caps;
    std::map<Key, std::optional<Key>> parent;  // every live object
    std::vector<Gone> gone;
    u64 deleted = 0;

    u64 copies(const Key& k) const {
        u64 n = 0;
        for (const auto& [s, c] : caps) n += key_of(c) == k;
        return n;
    }
    bool has_children(const Key& k) const {
        for (const auto& [o, p] : parent)
            if (p == k) return true;
        return false;
    }
    bool descends(Key o, const Key& from) const {
        for (auto p = parent.at(o); p; p = parent.at(*p))
            if (*p == from) return true;
        return false;
    }
    void add(Cte* s, const Capability& c, std::optional<Key> p) {
        caps[s] = c;
        parent.emplace(key_of(c), p);
    }
    // Deletes one capability the way the table must; CNode contents go in
    // slot order, depth first, each object reported when it is empty.
    DeleteKind kill(Cte* s, bool* had) {
        const Capability c = caps.at(s);
        caps.erase(s);
        ++deleted;
        const Key k = key_of(c);
        *had = false;
        if (copies(k) > 0) return DeleteKind::CopyRemains;
        *had = has_children(k) || has_any(c.remote, Remote::Descendants);
        const auto up = parent.at(k);
        std::set<Key> children;
        for (auto& [o, p] : parent) {
            if (p == k) {
                p = up;
                children.insert(o);
            }
        }
        parent.erase(k);
        if (has_any(c.remote, Remote::Copies)) {
            // The object lives on remotely: its children keep a remote ancestor.
            for (auto& [slot, cap] : caps)
                if (children.count(key_of(cap))) cap.remote = cap.remote | Remote::Ancestors;
            return DeleteKind::LastLocalCopy;
        }
        if (k.type == CapType::CNode) {
            Cte* slots = reinterpret_cast<Cte*>(k.base);
            for (u64 i = 0; i < k.word; ++i) {
                bool inner = false;
                if (caps.count(&slots[i])) kill(&slots[i], &inner);
            }
        }
        gone.push_back({k, *had});
        return DeleteKind::LastCopy;
    }

    // What retype must answer, checked in the order the table documents.
    Error predict_retype(Cte* src, const RetypeArgs& a, Cte* dest) const {
        if (!caps.count(src) || !caps.count(dest)) return Error::InvalidCap;
        const Capability sc = caps.at(src), dc = caps.at(dest);
        if (dc.type != CapType::CNode || !model_may_make(sc.type, a.type)) return Error::WrongType;
        if (a.count == 0 || !model_size_ok(a.type, a.object_size)) return Error::InvalidArgument;
        const Span64 se = where(key_of(sc));
        const u64 len = se.end - se.begin;
        if (a.type == sc.type && a.object_size >= len) return Error::InvalidArgument;
        const unsigned __int128 total = static_cast<unsigned __int128>(a.count) * a.object_size;
        if (total > len || a.offset > len - static_cast<u64>(total)) return Error::OutOfRange;
        if ((se.begin + a.offset) % a.object_size != 0) return Error::InvalidArgument;
        if (a.first_slot + a.count > dc.word) return Error::OutOfRange;
        for (u64 i = 0; i < a.count; ++i)
            if (caps.count(reinterpret_cast<Cte*>(dc.base) + a.first_slot + i)) return Error::SlotOccupied;
        if (has_any(sc.remote, Remote::Copies | Remote::Descendants) && !a.remote_agreed) return Error::Busy;
        const u64 begin = se.begin + a.offset;
        const Key range = a.type == CapType::Io ? Key{CapType::Io, 0, 0, begin | (static_cast<u64>(total) << 32)}
                                                : Key{CapType::Ram, begin, static_cast<u64>(total), 0};
        for (const auto& [o, p] : parent)
            if (p == key_of(sc) && clash(o, range)) return Error::Overlap;
        return Error::Ok;
    }
};

}  // namespace caps_test
