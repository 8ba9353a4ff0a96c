// Encoding of capability operations into an Op, their shape checks, and the
// adapter from the engine's Application to a core's CapParticipant.
#include "agree/capops.hpp"

namespace mk::agree {

Op encode(const CapOp& c) {
    Op op;
    op.family = kFamilyCaps;
    op.action = u8(c.action);
    op.small = u16(u8(c.type) | (u16(c.issuer) << 8));
    op.arg[0] = c.base;
    op.arg[1] = c.bytes;
    op.arg[2] = c.holders;
    return op;
}

bool decode(const Op& op, CapOp* out) {
    if (op.family != kFamilyCaps || op.word != 0) return false;
    if (op.action < u8(CapAction::Retype) || op.action > u8(CapAction::DeleteLast)) return false;
    out->action = CapAction(op.action);
    out->type = caps::CapType(op.small & 0xff);
    out->issuer = u8(op.small >> 8);
    out->base = op.arg[0];
    out->bytes = op.arg[1];
    out->holders = op.arg[2];
    return true;
}

bool CapAgreement::well_formed(const Op& op) const {
    CapOp c;
    if (!decode(op, &c)) return false;
    if (u8(c.type) >= caps::kCapTypeCount || !caps::is_memory_type(c.type)) return false;
    if (c.issuer >= cores_) return false;
    // Agreed objects follow lib/caps' shape rules: a power of two, naturally aligned.
    if (!caps::valid_object_size(c.type, c.bytes) || !is_aligned(c.base, c.bytes)) return false;
    if (c.base + c.bytes < c.base) return false;
    const u64 everyone = cores_ == 64 ? ~u64(0) : (u64(1) << cores_) - 1;
    if (c.action == CapAction::Retype) {
        if (c.holders == 0 || (c.holders & ~everyone) != 0) return false;
        // Objects only this core's CPU driver uses are never copied elsewhere.
        if (caps::is_core_local_type(c.type) && c.holders != (u64(1) << c.issuer)) return false;
    } else if (c.holders != 0) {
        return false;
    }
    return true;
}

usize CapAgreement::claims(const Op& op, Claim (&out)[kMaxClaims]) const {
    CapOp c;
    if (!decode(op, &c)) return 0;
    out[0] = {kSpacePhysical, c.base, c.base + c.bytes};
    return 1;
}

Vote CapAgreement::prepare(const Op& op) {
    CapOp c;
    if (!decode(op, &c)) return Vote::Refused;
    return local_.check(c);
}

u16 CapAgreement::answer(const Op& op) const {
    CapOp c;
    return decode(op, &c) ? local_.answer(c) : 0;
}

void CapAgreement::commit(const Op& op, u16 answers) {
    CapOp c;
    if (decode(op, &c)) local_.apply(c, answers);
}

void CapAgreement::abort(const Op& op) {
    CapOp c;
    if (decode(op, &c)) local_.cancel(c);
}

void CapAgreement::finished(const Op& op, Outcome outcome) {
    CapOp c;
    if (decode(op, &c)) local_.finished(c, outcome);
}

}  // namespace mk::agree
