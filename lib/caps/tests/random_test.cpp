// A seeded random workload of retype, copy, mint, delete, revoke, set_remote
// and create_root, run against the real table and against a reference model
// written here with std containers (objects, their parent objects, and what
// each slot holds). After every step: the same result, the same slots, the
// same parent of every capability, and the invariant checker passes. Failed
// steps must leave every byte unchanged.
#include <algorithm>
#include <optional>
#include <random>
#include <set>

#include "model.hpp"

using namespace caps_test;

namespace {

class Workload {
public:
    explicit Workload(u64 seed) : rng_(seed) {
        REQUIRE(w.table.create_root(w.s(1), Capability::io(0, kIoPortCount)).ok());
        REQUIRE(w.table.create_root(w.s(2), Capability::irq_line(5)).ok());
        REQUIRE(w.table.create_root(w.s(3), Capability::kernel()).ok());
        for (Cte* s : {&w.cnode, &w.s(0), &w.s(1), &w.s(2), &w.s(3)}) m.add(s, s->cap(), std::nullopt);
        test_cnode_ = key_of(w.cnode.cap());
    }

    void step() {
        // A sparse world grows first, so that deletes and revokes have trees
        // to work on.
        const u64 dice = m.caps.size() < 16 && pick(100) < 70 ? 0 : pick(100);
        if (dice < 45) return do_retype();
        if (dice < 60) return do_copy_or_mint(dice < 53);
        if (dice < 78) return do_delete();
        if (dice < 82) return do_revoke();
        if (dice < 95) return do_set_remote();
        return do_create_root();
    }

    void compare() {
        for (Cte* s : universe()) {
            auto it = m.caps.find(s);
            if (it == m.caps.end()) {
                REQUIRE(s->empty());
                continue;
            }
            REQUIRE(s->cap() == it->second);
            const auto p = m.parent.at(key_of(it->second));
            if (p) {
                REQUIRE(s->parent() != &w.table.root());
                REQUIRE(key_of(s->parent()->cap()) == *p);
            } else {
                REQUIRE(s->parent() == &w.table.root());
            }
        }
        std::vector<Span<const Cte>> arrays;
        arrays.emplace_back(&w.cnode, 1);
        arrays.emplace_back(w.slots(), World::kSlots);
        for (const auto& [k, p] : m.parent)
            if (k.type == CapType::CNode && !(k == test_cnode_)) arrays.emplace_back(reinterpret_cast<Cte*>(k.base), k.word);
        auto r = verify(w.table, Span<const Span<const Cte>>(arrays.data(), arrays.size()), true);
        INFO(describe(r));
        REQUIRE(r.ok());
        REQUIRE(r.caps_in_tree == m.caps.size());
    }

    std::set<Error> errors_seen;
    u64 retypes = 0, revokes = 0, cnodes_destroyed = 0, cascaded = 0, last_local = 0;
    World w;
    Model m;

private:
    u64 pick(u64 n) { return std::uniform_int_distribution<u64>(0, n - 1)(rng_); }

    std::vector<Cte*> universe() {
        std::vector<Cte*> all;
        for (u64 i = 0; i < World::kSlots; ++i) all.push_back(&w.s(i));
        for (const auto& [k, p] : m.parent) {
            if (k.type != CapType::CNode || k == test_cnode_) continue;
            for (u64 i = 0; i < k.word; ++i) all.push_back(reinterpret_cast<Cte*>(k.base) + i);
        }
        return all;
    }
    // Half the time a slot inside a retyped CNode, so that destroying
    // CNodes has something to destroy.
    Cte* any_slot() {
        auto all = universe();
        if (all.size() > World::kSlots && pick(2) == 0) return all[World::kSlots + pick(all.size() - World::kSlots)];
        return all[pick(all.size())];
    }
    // A slot holding a capability other than the test CNode's (3%: an empty one).
    Cte* source() {
        std::vector<Cte*> full;
        for (const auto& [s, c] : m.caps)
            if (!(key_of(c) == test_cnode_)) full.push_back(s);
        if (full.empty() || pick(100) < 3) {
            for (int tries = 0; tries < 100; ++tries) {
                Cte* s = any_slot();
                if (s->empty()) return s;
            }
        }
        return full.empty() ? &w.s(0) : full[pick(full.size())];
    }
    Cte* cnode_slot() {
        std::vector<Cte*> nodes;
        for (const auto& [s, c] : m.caps)
            if (c.type == CapType::CNode) nodes.push_back(s);
        if (pick(100) < 5) return source();
        // Mostly a retyped CNode rather than the test CNode.
        std::vector<Cte*> retyped;
        for (Cte* n : nodes)
            if (!(key_of(n->cap()) == test_cnode_)) retyped.push_back(n);
        if (!retyped.empty() && pick(100) < 60) return retyped[pick(retyped.size())];
        return nodes[pick(nodes.size())];
    }

    // Runs an operation the model predicts fails: it must fail with that
    // error and change nothing.
    template <typename Op>
    void expect_failure(Error e, Op op) {
        errors_seen.insert(e);
        w.snapshot_into(before_);
        const Error got = op();
        INFO("expected " << error_name(e) << ", got " << error_name(got));
        REQUIRE(got == e);
        REQUIRE(w.matches(before_));
    }

    void do_retype();
    void do_copy_or_mint(bool mint);
    void do_delete();
    void do_revoke();
    void do_set_remote();
    void do_create_root();

    std::mt19937_64 rng_;
    Key test_cnode_{};
    std::vector<unsigned char> before_;
};

constexpr CapType kTypes[] = {
    CapType::Null, CapType::Ram, CapType::Frame, CapType::CNode, CapType::Pml4, CapType::Pdpt, CapType::Pd,
    CapType::Pt, CapType::Dispatcher, CapType::Endpoint, CapType::Io, CapType::Irq, CapType::Kernel,
};

void Workload::do_retype() {
    // Mostly a source that can be retyped at all.
    Cte* src = source();
    std::vector<Cte*> sources;
    for (const auto& [slot, cap] : m.caps)
        if (cap.type == CapType::Ram || (cap.type == CapType::Frame && cap.bytes > 4096) ||
            (cap.type == CapType::Io && cap.io_count() > 1))
            sources.push_back(slot);
    if (!sources.empty() && pick(100) < 85) src = sources[pick(sources.size())];
    Cte* dest = cnode_slot();
    const Capability sc = src->cap();
    RetypeArgs a;
    std::vector<CapType> legal;
    for (CapType t : kTypes)
        if (model_may_make(sc.type, t)) legal.push_back(t);
    a.type = (!legal.empty() && pick(100) < 85) ? legal[pick(legal.size())] : kTypes[pick(kCapTypeCount)];
    const Span64 se = where(key_of(sc));
    const u64 len = se.end - se.begin;
    // Sizes up to the source's length, so that most attempts can fit.
    const u64 top = len == 0 ? 0 : 63 - static_cast<u64>(__builtin_clzll(len));
    switch (a.type) {
        case CapType::Ram:
        case CapType::Frame: a.object_size = u64(4096) << pick(top > 12 ? top - 12 + (a.type != sc.type) : 1); break;
        case CapType::CNode: a.object_size = kCteBytes << (2 + pick(4)); break;
        case CapType::Dispatcher: a.object_size = kDispatcherBytes; break;
        case CapType::Endpoint: a.object_size = kEndpointBytes; break;
        case CapType::Io: a.object_size = u64(1) << pick(top > 0 && top < 11 ? top : 11); break;
        default: a.object_size = kPageTableBytes; break;
    }
    if (pick(100) < 4) a.object_size = 4096 * (1 + pick(3));
    const u64 fits = len / a.object_size;
    a.count = pick(100) < 2 ? 0 : 1 + pick(fits >= 1 && fits < 4 && pick(100) < 85 ? fits : 4);
    if (sc.type != CapType::Null && len != 0) {
        const u64 lead = (a.object_size - se.begin % a.object_size) % a.object_size;
        a.offset = lead + pick(fits + 2 > a.count ? fits + 2 - a.count : 1) * a.object_size;
    }
    if (pick(100) < 4) a.offset = pick(len + 1);
    const Capability dc = dest->cap();
    const u64 dslots = dc.type == CapType::CNode ? dc.word : 1;
    a.first_slot = dslots > a.count && pick(100) < 85 ? pick(dslots - a.count + 1) : pick(dslots + 2);
    a.remote_agreed = pick(2) == 0;

    const Error e = m.predict_retype(src, a, dest);
    if (e != Error::Ok) {
        expect_failure(e, [&] { return w.table.retype(*src, a, *dest).error(); });
        return;
    }
    REQUIRE(w.table.retype(*src, a, *dest).ok());
    ++retypes;
    Cte* d = reinterpret_cast<Cte*>(dc.base) + a.first_slot;
    const u64 begin = se.begin + a.offset;
    for (u64 i = 0; i < a.count; ++i) {
        Capability c;
        c.type = a.type;
        c.rights = sc.rights;
        if (a.type == CapType::Io) {
            c.word = (begin + i * a.object_size) | (a.object_size << 32);
        } else {
            c.base = begin + i * a.object_size;
            c.bytes = a.object_size;
            if (a.type == CapType::CNode) c.word = a.object_size / kCteBytes;
        }
        if (has_any(sc.remote, Remote::Copies | Remote::Ancestors)) c.remote = Remote::Ancestors;
        m.add(&d[i], c, key_of(sc));
    }
}

void Workload::do_copy_or_mint(bool mint) {
    Cte* src = source();
    Cte* dst = any_slot();
    const Rights rights = Rights(pick(16));
    const u64 badge = pick(3) == 0 ? 0 : pick(4);
    auto run = [&] { return (mint ? w.table.mint(*src, *dst, rights, badge) : w.table.copy(*src, *dst)).error(); };
    Error e = Error::Ok;
    if (!m.caps.count(src)) {
        e = Error::InvalidCap;
    } else if (m.caps.count(dst)) {
        e = Error::SlotOccupied;
    } else if (mint) {
        const Capability& sc = m.caps.at(src);
        if ((u8(rights) & ~u8(sc.rights)) != 0) {
            e = Error::NoRights;
        } else if (badge != 0 && sc.type != CapType::Endpoint) {
            e = Error::WrongType;
        } else if (badge != 0 && sc.word != 0 && sc.word != badge) {
            e = Error::NoRights;
        }
    }
    if (e != Error::Ok) {
        expect_failure(e, run);
        return;
    }
    REQUIRE(run() == Error::Ok);
    Capability c = m.caps.at(src);
    if (mint) {
        c.rights = rights;
        if (badge != 0) c.word = badge;
    }
    m.caps[dst] = c;
}

void Workload::do_delete() {
    Cte* s = source();
    // Deleting the whole RAM would end the workload's supply of objects:
    // keep its last copy most of the time (directed tests cover the rest).
    if (m.caps.count(s) && m.caps.at(s) == w.s(0).cap() && m.copies(key_of(m.caps.at(s))) == 1 && pick(10) != 0)
        return;
    if (!m.caps.count(s)) {
        expect_failure(Error::InvalidCap, [&] { return w.table.delete_cap(*s).error(); });
        return;
    }
    const u64 d0 = m.deleted;
    const usize g0 = m.gone.size();
    const Capability c = m.caps.at(s);
    bool had = false;
    const DeleteKind kind = m.kill(s, &had);
    Recorder r;
    auto out = w.table.delete_cap(*s, &r);
    REQUIRE(out.ok());
    REQUIRE(out->cap == c);
    REQUIRE(out->kind == kind);
    REQUIRE(out->had_descendants == had);
    REQUIRE(out->caps_deleted == m.deleted - d0);
    REQUIRE(out->objects_gone == m.gone.size() - g0);
    REQUIRE(r.gone.size() == m.gone.size() - g0);
    for (usize i = 0; i < r.gone.size(); ++i) {
        REQUIRE(key_of(r.gone[i].cap) == m.gone[g0 + i].key);
        REQUIRE(r.gone[i].had_descendants == m.gone[g0 + i].had);
        cnodes_destroyed += r.gone[i].cap.type == CapType::CNode;
    }
    last_local += kind == DeleteKind::LastLocalCopy;
    cascaded += out->caps_deleted > 1;
}

void Workload::do_revoke() {
    Cte* s = source();
    if (!m.caps.count(s)) {
        expect_failure(Error::InvalidCap, [&] { return w.table.revoke(*s).error(); });
        return;
    }
    Model trial = m;
    const Capability c = trial.caps.at(s);
    const Key k = key_of(c);
    std::vector<Cte*> victims;
    for (const auto& [slot, cap] : trial.caps)
        if (slot != s && (key_of(cap) == k || trial.descends(key_of(cap), k))) victims.push_back(slot);
    for (Cte* v : victims) {
        bool had = false;
        if (trial.caps.count(v)) trial.kill(v, &had);
    }
    // When the revoker itself dies in a cascade, where the table stops depends
    // on its order; that case has directed tests (cascade_test.cpp).
    if (!trial.caps.count(s)) return;
    Recorder r;
    auto out = w.table.revoke(*s, &r);
    REQUIRE(out.ok());
    REQUIRE_FALSE(out->revoker_deleted);
    REQUIRE(out->needs_agreement == has_any(c.remote, Remote::Copies | Remote::Descendants));
    REQUIRE(out->caps_deleted == trial.deleted - m.deleted);
    REQUIRE(out->objects_gone == trial.gone.size() - m.gone.size());
    std::vector<Key> want, got;
    for (usize i = m.gone.size(); i < trial.gone.size(); ++i) want.push_back(trial.gone[i].key);
    for (const ObjectGone& g : r.gone) got.push_back(key_of(g.cap));
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    REQUIRE(got == want);
    for (const ObjectGone& g : r.gone) cnodes_destroyed += g.cap.type == CapType::CNode;
    cascaded += out->caps_deleted > victims.size();
    m = std::move(trial);
    ++revokes;
}

void Workload::do_set_remote() {
    Cte* s = source();
    const Remote flags = pick(100) < 40 ? Remote::None : Remote(pick(8));
    Error e = Error::Ok;
    if (!m.caps.count(s)) {
        e = Error::InvalidCap;
    } else {
        const CapType t = m.caps.at(s).type;
        const bool local = t == CapType::CNode || t == CapType::Dispatcher || t == CapType::Endpoint ||
                           t == CapType::Kernel;
        if (local && has_any(flags, Remote::Copies)) e = Error::WrongType;
    }
    if (e != Error::Ok) {
        expect_failure(e, [&] { return w.table.set_remote(*s, flags).error(); });
        return;
    }
    REQUIRE(w.table.set_remote(*s, flags).ok());
    const Key k = key_of(m.caps.at(s));
    for (auto& [slot, cap] : m.caps)
        if (key_of(cap) == k) cap.remote = flags;
}

void Workload::do_create_root() {
    Capability c = Capability::ram(w.ram_base(), World::kRamBytes);
    if (pick(2) == 0) c.remote = Remote::Ancestors;
    Cte* d = any_slot();
    if (m.caps.count(d)) {
        expect_failure(Error::SlotOccupied, [&] { return w.table.create_root(*d, c).error(); });
        return;
    }
    const Key k = key_of(c);
    bool equal = false, clashes = false;
    for (const auto& [o, p] : m.parent) {
        if (p) continue;
        equal = equal || o == k;
        clashes = clashes || (!(o == k) && clash(o, k));
    }
    if (!equal && clashes) {
        expect_failure(Error::Overlap, [&] { return w.table.create_root(*d, c).error(); });
        return;
    }
    REQUIRE(w.table.create_root(*d, c).ok());
    if (!equal) {
        m.add(d, c, std::nullopt);
        return;
    }
    Remote flags = c.remote;
    for (const auto& [slot, cap] : m.caps)
        if (key_of(cap) == k) flags = flags | cap.remote;
    m.caps[d] = c;
    for (auto& [slot, cap] : m.caps)
        if (key_of(cap) == k) cap.remote = flags;
}

}  // namespace

TEST_CASE("Random workload agrees with the reference model after every step", "[caps]") {
    for (u64 seed : {1, 2, 3, 2024}) {
        CAPTURE(seed);
        Workload wl(seed);
        wl.compare();
        u64 most_caps = 0;
        for (int i = 0; i < 4000; ++i) {
            CAPTURE(i);
            wl.step();
            wl.compare();
            most_caps = std::max<u64>(most_caps, wl.m.caps.size());
        }
        // The workload must have reached every path that matters.
        CHECK(wl.retypes > 150);
        CHECK(wl.revokes > 40);
        CHECK(wl.cnodes_destroyed > 20);
        CHECK(wl.cascaded > 10);
        CHECK(wl.last_local > 3);
        CHECK(most_caps > 40);
        for (Error e : {Error::InvalidCap, Error::WrongType, Error::InvalidArgument, Error::OutOfRange,
                        Error::SlotOccupied, Error::Busy, Error::Overlap, Error::NoRights})
            CHECK(wl.errors_seen.count(e) == 1);
    }
}
