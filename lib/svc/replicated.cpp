#include "svc/replicated.hpp"

namespace mk::svc {

Result<u32> Replicated::propose(const Update& u) {
    if (u.action == 0 || !machine_.valid(u)) return Error::InvalidArgument;
    if (count_ == kQueue) return Error::Full;
    queue_[(head_ + count_) % kQueue] = u;
    ++count_;
    return next_ticket_++;
}

void Replicated::pump(agree::Engine& engine) {
    if (running_ || count_ == 0 || !engine.idle()) return;
    // The head's ticket: every older one has finished, and tickets are
    // handed out in queue order.
    // (On a single replica the engine commits and finishes inside start().)
    u32 ticket = finished_own_ + 1;
    running_ = true;
    if (!engine.start(encode(queue_[head_], ticket)).ok()) running_ = false;
}

Status Replicated::status(u32 ticket) const {
    if (ticket == 0 || ticket >= next_ticket_) return Error::NotFound;
    for (u32 r : refused_) {
        if (r == ticket) return Error::NoRights;
    }
    if (ticket <= applied_own_) return {};
    if (ticket <= finished_own_) return Error::NotFound;  // refused, and forgotten since
    return Error::Empty;
}

agree::Op Replicated::encode(const Update& u, u32 ticket) const {
    agree::Op op;
    op.family = family_;
    op.action = u.action;
    op.small = self_;
    op.word = ticket;
    for (usize i = 0; i < 3; ++i) op.arg[i] = u.arg[i];
    return op;
}

bool Replicated::decode(const agree::Op& op, Update& u, u8& origin, u32& ticket) const {
    if (op.family != family_ || op.action == 0 || op.small >= replicas_ || op.word == 0) return false;
    u.action = op.action;
    for (usize i = 0; i < 3; ++i) u.arg[i] = op.arg[i];
    origin = static_cast<u8>(op.small);
    ticket = op.word;
    return true;
}

bool Replicated::well_formed(const agree::Op& op) const {
    Update u;
    u8 origin = 0;
    u32 ticket = 0;
    return decode(op, u, origin, ticket) && machine_.valid(u);
}

usize Replicated::claims(const agree::Op&, agree::Claim (&out)[agree::kMaxClaims]) const {
    out[0] = {agree::kSpaceStream, stream_, u64{stream_} + 1};
    return 1;
}

agree::Vote Replicated::prepare(const agree::Op& op) {
    Update u;
    u8 origin = 0;
    u32 ticket = 0;
    if (!decode(op, u, origin, ticket)) return agree::Vote::Refused;
    // The stream's lock is held: this replica has applied exactly the
    // updates ordered before this one, as every other replica has.
    return machine_.acceptable(u) ? agree::Vote::Yes : agree::Vote::Refused;
}

void Replicated::commit(const agree::Op& op, u16) {
    Update u;
    u8 origin = 0;
    u32 ticket = 0;
    if (!decode(op, u, origin, ticket)) return;
    machine_.apply(u, origin, ticket);
    ++applied_;
    u64 h = mix64((u64{origin} << 56) ^ (u64{u.action} << 48) ^ ticket);
    for (u64 a : u.arg) h = mix64(h ^ a);
    digest_ = mix64(digest_ ^ h);
    if (origin == self_) applied_own_ = ticket;
}

void Replicated::finished(const agree::Op& op, agree::Outcome outcome) {
    Update u;
    u8 origin = 0;
    u32 ticket = 0;
    if (!decode(op, u, origin, ticket) || origin != self_ || !running_) return;
    if (outcome == agree::Outcome::Refused) {
        refused_[refused_total_ % kRefusedMemory] = ticket;
        ++refused_total_;
    }
    finished_own_ = ticket;
    running_ = false;
    head_ = (head_ + 1) % kQueue;
    --count_;
}

}  // namespace mk::svc
