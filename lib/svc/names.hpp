// The name service's table (docs/services/names.md): which cores run a
// replica of which service. Every monitor keeps a replica; registrations and
// withdrawals are updates of one replicated stream (replicated.hpp), agreed
// by every monitor, so a lookup on any core is a local read and every core
// sees the same registrations in the same order.
#pragma once

#include "svc/replicated.hpp"

namespace mk::svc {

// A service name: 1..kMaxName characters of [a-z0-9_-], carried in an
// update's three words.
inline constexpr usize kMaxName = 23;
bool valid_name(const char* name);
// Packs a valid name into three words (zero padded); false if it is not valid.
bool pack_name(const char* name, u64 (&words)[3]);
// The name in `words` into `out` (kMaxName + 1 bytes); false if the words
// do not hold a valid name.
bool unpack_name(const u64 (&words)[3], char (&out)[kMaxName + 1]);

enum class NameAction : u8 {
    Register = 1,  // the proposing core runs a replica
    Withdraw = 2,  // the proposing core no longer does
};

class NameTable final : public StateMachine {
public:
    static constexpr usize kMaxNames = 32;

    // The cores that registered `name` (bit n: core n); 0 if none or unknown.
    u64 lookup(const char* name) const;
    usize size() const;
    // The i-th name in the table (registration order), for listing; false past the end.
    bool entry(usize i, const char*& name, u64& cores) const;

    // The update that registers or withdraws the proposer under `name`.
    static Result<Update> make(NameAction action, const char* name);

    // StateMachine
    bool valid(const Update& u) const override;
    // A registration needs a free entry unless the name is known already.
    bool acceptable(const Update& u) const override;
    void apply(const Update& u, u8 origin, u32 ticket) override;

private:
    struct Entry {
        char name[kMaxName + 1];
        u64 cores;
    };
    i64 find(const char* name) const;
    Entry entries_[kMaxNames] = {};
    usize used_ = 0;  // entries are never removed: a withdrawn name keeps its place with no cores
};

}  // namespace mk::svc
