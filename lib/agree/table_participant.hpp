// The capability family's participant, written once over "this core's
// capability table" (LocalTable). The monitors reach their table through
// Kernel-capability invocations (monitor/transfer.cpp); the deterministic
// simulation (test/sim) gives each simulated core a real lib/caps CapTable.
// Both run the votes and the commit steps below, so the simulation checks
// the decisions the monitors make.
//
//   Retype      every core votes no if something of its own lies in the
//               range (CapTable::range_in_use); the issuer also votes no if
//               it cannot make the object. On commit the issuer makes it and
//               every other core in `holders` installs a copy.
//   Revoke      every core votes yes; on commit each removes every local
//               capability naming the object or lying inside it
//               (CapTable::remove_object).
//   DeleteLast  the issuer votes no unless it holds the object; every other
//               core answers kCopyHeldElsewhere if it holds a copy. On commit
//               the issuer deletes its copy and, if no copy is left anywhere,
//               every core is told the memory is back with its owner.
#pragma once

#include "agree/capops.hpp"
#include "base/result.hpp"

namespace mk::agree {

// This core's capability table, as the participant needs it. Only
// range_in_use and remove_object are required; the rest has answers that
// refuse (a table that cannot tell whether it holds a copy refuses every
// DeleteLast rather than answer wrongly).
class LocalTable {
public:
    // CapTable::range_in_use: a capability here overlaps [base, base + bytes)
    // and is not a RAM capability the range could be made from.
    virtual bool range_in_use(PhysAddr base, u64 bytes) = 0;
    // CapTable::remove_object: deletes every local capability naming the
    // object or lying inside it; returns how many went.
    virtual u64 remove_object(caps::CapType type, PhysAddr base, u64 bytes) = 0;

    // Issuer of a Retype, while voting: it holds a source the object can be
    // made from. (Nothing may change here: the vote can still be an abort.)
    virtual bool can_make(const CapOp&) { return false; }
    // Issuer of a Retype, on commit: make the object from that source
    // (CapTable::retype with remote_agreed) and, if other cores receive
    // copies, mark it as having remote copies.
    virtual void make(const CapOp&) {}
    // A holder other than the issuer, on commit: install the copy that
    // crossed cores (CapTable::create_root, marked Remote::Copies).
    virtual void receive(const CapOp&) {}

    // Whether a capability here names the object; Unsupported if the table
    // cannot tell.
    virtual Result<bool> holds(caps::CapType, PhysAddr, u64) { return Error::Unsupported; }
    // Issuer of a DeleteLast, on commit: delete its copy (CapTable::delete_cap).
    virtual void delete_copy(const CapOp&) {}
    // Every core, after a DeleteLast that deleted the last copy anywhere:
    // the memory is back with the owner of its chunk.
    virtual void last_copy_gone(const CapOp&) {}

protected:
    ~LocalTable() = default;
};

class TableParticipant final : public CapParticipant {
public:
    TableParticipant(u8 self, LocalTable& table) : self_(self), table_(table) {}

    Vote check(const CapOp& op) override;
    u16 answer(const CapOp& op) const override;
    void apply(const CapOp& op, u16 answers) override;

    // Capabilities this core deleted in agreed revokes.
    u64 removed() const { return removed_; }

private:
    u8 self_;
    LocalTable& table_;
    u64 removed_ = 0;
};

}  // namespace mk::agree
