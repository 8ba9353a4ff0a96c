// Router: one Application that hands each operation to the application of
// its family, so one engine per core serves the memory-ownership map, the
// capability operations and whatever service comes next.
#pragma once

#include "agree/engine.hpp"

namespace mk::agree {

// Operation families (Op::family).
inline constexpr u8 kFamilyOwnership = 1;
inline constexpr u8 kFamilyCaps = 2;
inline constexpr u8 kFamilyBench = 3;  // operations that only measure the protocol
inline constexpr u8 kFamilyNames = 4;  // the name service's table (lib/svc/names.hpp)
inline constexpr u8 kFamilyService = 5;  // a service's own replicated state, in its own engine (lib/svc)
inline constexpr u8 kMaxFamilies = 8;

// Claim spaces (Claim::space). Memory ownership and capability operations
// claim the same physical-address space, so moving a chunk and retyping
// inside it are ordered by the same locks.
inline constexpr u8 kSpacePhysical = 1;
inline constexpr u8 kSpaceBench = 2;  // one lock per coordinator: benchmark operations never conflict
// One lock per replicated stream (lib/svc/replicated.hpp): all updates of a
// stream are totally ordered.
inline constexpr u8 kSpaceStream = 3;

class Router final : public Application {
public:
    // Registers `app` for `family` (< kMaxFamilies); replaces any earlier one.
    void route(u8 family, Application& app) {
        if (family < kMaxFamilies) apps_[family] = &app;
    }

    bool well_formed(const Op& op) const override {
        const Application* a = find(op);
        return a != nullptr && a->well_formed(op);
    }
    usize claims(const Op& op, Claim (&out)[kMaxClaims]) const override { return find(op)->claims(op, out); }
    Vote prepare(const Op& op) override { return find(op)->prepare(op); }
    u16 answer(const Op& op) const override { return find(op)->answer(op); }
    void commit(const Op& op, u16 answers) override { find(op)->commit(op, answers); }
    void abort(const Op& op) override { find(op)->abort(op); }
    void finished(const Op& op, Outcome o) override { find(op)->finished(op, o); }

private:
    // Only called with operations that passed well_formed, which found one.
    Application* find(const Op& op) const { return op.family < kMaxFamilies ? apps_[op.family] : nullptr; }

    Application* apps_[kMaxFamilies] = {};
};

}  // namespace mk::agree
