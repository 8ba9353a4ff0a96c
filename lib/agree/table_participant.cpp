// The capability family's votes and commit steps over a LocalTable
// (table_participant.hpp).
#include "agree/table_participant.hpp"

namespace mk::agree {

Vote TableParticipant::check(const CapOp& op) {
    const bool issuer = op.issuer == self_;
    switch (op.action) {
        case CapAction::Retype:
            // Something here lies in the range: a conflicting descendant, or
            // a copy of an object made there already.
            if (table_.range_in_use(op.base, op.bytes)) return Vote::Refused;
            if (issuer && !table_.can_make(op)) return Vote::Refused;
            return Vote::Yes;
        case CapAction::Revoke:
            return Vote::Yes;
        case CapAction::DeleteLast: {
            auto held = table_.holds(op.type, op.base, op.bytes);
            if (!held.ok()) return Vote::Refused;  // cannot tell: no answer rather than a wrong one
            if (issuer && !*held) return Vote::Refused;
            return Vote::Yes;
        }
    }
    return Vote::Refused;
}

u16 TableParticipant::answer(const CapOp& op) const {
    if (op.action != CapAction::DeleteLast || op.issuer == self_) return 0;
    auto held = table_.holds(op.type, op.base, op.bytes);
    return held.ok() && *held ? kCopyHeldElsewhere : 0;
}

void TableParticipant::apply(const CapOp& op, u16 answers) {
    const bool issuer = op.issuer == self_;
    switch (op.action) {
        case CapAction::Retype:
            if (issuer) table_.make(op);
            else if (op.holders >> self_ & 1) table_.receive(op);
            break;
        case CapAction::Revoke:
            removed_ += table_.remove_object(op.type, op.base, op.bytes);
            break;
        case CapAction::DeleteLast:
            if (issuer) table_.delete_copy(op);
            if (!(answers & kCopyHeldElsewhere)) table_.last_copy_gone(op);
            break;
    }
}

}  // namespace mk::agree
