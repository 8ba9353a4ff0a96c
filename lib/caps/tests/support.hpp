// Test fixture for lib/caps: a capability table whose "physical" addresses
// are host addresses (direct map offset 0), a RAM capability over a real,
// aligned buffer (so retyped CNodes are real memory), a test CNode of slots
// to work in, and helpers to snapshot everything and run the checker.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "caps/cspace.hpp"
#include "caps/table.hpp"
#include "caps/tree.hpp"
#include "caps/verify.hpp"

namespace caps_test {

using namespace mk;
using namespace mk::caps;

inline PhysAddr addr_of(const void* p) { return reinterpret_cast<uptr>(p); }

// Memory aligned to its own (power-of-two) size, zeroed, freed on scope exit.
class AlignedBuffer {
public:
    explicit AlignedBuffer(usize bytes) : bytes_(bytes), p_(std::aligned_alloc(bytes, bytes)) {
        REQUIRE(p_ != nullptr);
        std::memset(p_, 0, bytes);
    }
    ~AlignedBuffer() { std::free(p_); }
    AlignedBuffer(const AlignedBuffer&) = delete;
    AlignedBuffer& operator=(const AlignedBuffer&) = delete;
    void* data() const { return p_; }
    usize size() const { return bytes_; }
    PhysAddr base() const { return addr_of(p_); }

private:
    usize bytes_;
    void* p_;
};

// Records what the table reports and lends embedded slots to chosen objects.
class Recorder : public Reclaimer {
public:
    Span<Cte> embedded_slots(const Capability& c) override {
        auto it = embedded.find({c.type, c.base});
        return it == embedded.end() ? Span<Cte>() : it->second;
    }
    void object_gone(const ObjectGone& g) override { gone.push_back(g); }

    std::map<std::pair<CapType, u64>, Span<Cte>> embedded;
    std::vector<ObjectGone> gone;
};

inline std::string describe(const VerifyReport& r) {
    return r.ok() ? std::string("ok") : std::string(r.problem);
}

// The standard world: slot 0 of the test CNode holds RAM over `ram`.
class World {
public:
    static constexpr u64 kSlots = 256;
    static constexpr usize kRamBytes = 1 << 20;

    World() : slot_mem_(kSlots * sizeof(Cte)), ram_(kRamBytes) {
        slots_ = static_cast<Cte*>(slot_mem_.data());
        for (u64 i = 0; i < kSlots; ++i) new (&slots_[i]) Cte();
        REQUIRE(table.create_root(cnode, Capability::cnode(addr_of(slots_), kSlots)).ok());
        REQUIRE(table.create_root(s(0), Capability::ram(ram_.base(), kRamBytes)).ok());
    }

    Cte& s(u64 i) { return slots_[i]; }
    Cte* slots() { return slots_; }
    PhysAddr ram_base() const { return ram_.base(); }
    void* ram_data() const { return ram_.data(); }

    Status retype(Cte& src, CapType type, u64 size, u64 count, u64 first, u64 offset = 0, bool agreed = false) {
        RetypeArgs a;
        a.type = type;
        a.object_size = size;
        a.count = count;
        a.first_slot = first;
        a.offset = offset;
        a.remote_agreed = agreed;
        return table.retype(src, a, cnode);
    }
    Status retype_at(u64 src, CapType type, u64 size, u64 count, u64 first, u64 offset = 0, bool agreed = false) {
        return retype(s(src), type, size, count, first, offset, agreed);
    }

    // Slot arrays the checker scans: the CNode slot, the test slots, and
    // every CNode registered with watch().
    void watch(const Capability& cnode_cap) { extra_.push_back(cnode_cap); }
    VerifyReport check(bool complete = true) {
        std::vector<Span<const Cte>> arrays;
        arrays.emplace_back(&cnode, 1);
        arrays.emplace_back(slots_, kSlots);
        for (const Capability& c : extra_) arrays.emplace_back(table.slots_of(c), c.slots());
        for (const auto& [p, n] : loose_) arrays.emplace_back(p, n);
        return verify(table, Span<const Span<const Cte>>(arrays.data(), arrays.size()), complete);
    }
    void watch_slots(const Cte* p, u64 n) { loose_.emplace_back(p, n); }

    // Every byte the table could touch: its root, the slots, the RAM buffer.
    template <typename F>
    void each_region(F f) const {
        f(&table, sizeof(CapTable));
        f(&cnode, sizeof(Cte));
        f(slots_, kSlots * sizeof(Cte));
        f(ram_.data(), ram_.size());
        for (const auto& [p, n] : loose_) f(p, n * sizeof(Cte));
    }
    void snapshot_into(std::vector<unsigned char>& out) const {
        out.clear();
        each_region([&](const void* p, usize n) {
            auto b = static_cast<const unsigned char*>(p);
            out.insert(out.end(), b, b + n);
        });
    }
    bool matches(const std::vector<unsigned char>& before) const {
        usize at = 0;
        bool same = true;
        each_region([&](const void* p, usize n) {
            same = same && at + n <= before.size() && std::memcmp(before.data() + at, p, n) == 0;
            at += n;
        });
        return same && at == before.size();
    }

    CapTable table{0};
    Cte cnode;  // the test CNode's own capability, as a kernel-held slot

private:
    AlignedBuffer slot_mem_;
    AlignedBuffer ram_;
    Cte* slots_ = nullptr;
    std::vector<Capability> extra_;
    std::vector<std::pair<const Cte*, u64>> loose_;
};

// Runs `op`, which must fail with `expected`, and checks that no byte of the
// world changed.
template <typename Op>
void expect_unchanged_failure(World& w, Error expected, Op op) {
    std::vector<unsigned char> before;
    w.snapshot_into(before);
    const Error got = op();
    CHECK(std::string(error_name(got)) == std::string(error_name(expected)));
    CHECK(w.matches(before));
}

inline Error err(const Status& s) { return s.error(); }
template <typename T>
inline Error err(const Result<T>& r) { return r.error(); }

}  // namespace caps_test
