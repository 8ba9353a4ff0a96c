// Cross-core capability operations as agreed operations: the hook the
// monitors use for a retype, revoke or delete whose answer depends on other
// cores (lib/caps reports that with its remote-relation flags and
// needs_agreement()). An object is named by (type, base, bytes); each core's
// CapParticipant answers from its own capability table.
//
//   Retype     `issuer` makes a `type` object over [base, base + bytes) and
//              installs it on the cores in `holders`. Every core refuses if
//              it holds a descendant that overlaps the range.
//   Revoke     every core deletes every descendant inside the range.
//   DeleteLast `issuer` deletes its copy of the object. Every core answers
//              whether it holds another copy; if none does, the copy was the
//              last one and, on commit, the memory goes back to the owner of
//              its chunk. (Deciding "last" locally would race: two holders
//              deleting at once would each see the other's copy.)
#pragma once

#include "agree/router.hpp"
#include "caps/capability.hpp"

namespace mk::agree {

// CapParticipant::answer bits.
inline constexpr u16 kCopyHeldElsewhere = 1;

enum class CapAction : u8 { Retype = 1, Revoke = 2, DeleteLast = 3 };

constexpr const char* cap_action_name(CapAction a) {
    switch (a) {
        case CapAction::Retype: return "Retype";
        case CapAction::Revoke: return "Revoke";
        case CapAction::DeleteLast: return "DeleteLast";
    }
    return "Unknown";
}

struct CapOp {
    CapAction action = CapAction::Retype;
    caps::CapType type = caps::CapType::Null;
    u8 issuer = 0;
    PhysAddr base = 0;
    u64 bytes = 0;
    u64 holders = 0;  // Retype only: the cores that receive a copy
};

Op encode(const CapOp& c);
// False if `op` is not a capability operation at all; shape checks are
// CapAgreement::well_formed's.
bool decode(const Op& op, CapOp* out);

// One core's capability state, as the agreement sees it. check() must not
// change anything it cannot undo in cancel(); apply() follows a Yes. check()
// may answer Conflict ("not now", engine.hpp) while local state it cannot
// lock is in transition.
class CapParticipant {
public:
    virtual Vote check(const CapOp&) { return Vote::Refused; }
    // After a Yes: kCopyHeldElsewhere if this core holds a copy of the
    // object a DeleteLast names (other than the issuer's own).
    virtual u16 answer(const CapOp&) const { return 0; }
    // `answers` is every core's answer OR-ed: for DeleteLast, whether a copy
    // survives somewhere, so whether the memory goes back to its owner.
    virtual void apply(const CapOp&, u16) {}
    virtual void cancel(const CapOp&) {}
    // On the coordinator only, once every core has carried out the decision
    // (so no core still holds what a commit removed).
    virtual void finished(const CapOp&, Outcome) {}

protected:
    ~CapParticipant() = default;
};

class CapAgreement final : public Application {
public:
    CapAgreement(u8 cores, CapParticipant& local) : cores_(cores), local_(local) {}

    bool well_formed(const Op& op) const override;
    usize claims(const Op& op, Claim (&out)[kMaxClaims]) const override;
    Vote prepare(const Op& op) override;
    u16 answer(const Op& op) const override;
    void commit(const Op& op, u16 answers) override;
    void abort(const Op& op) override;
    void finished(const Op& op, Outcome outcome) override;

private:
    u8 cores_;
    CapParticipant& local_;
};

}  // namespace mk::agree
