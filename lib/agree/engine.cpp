// The two-phase commit, step by step (docs/agreement.md, "Protocol"):
//
//   1. start: the coordinator prepares locally, as the root of its tree.
//   2. Prepare, top down: each core forwards it to its children, then votes
//      locally (locking the claims and asking the application) or waits.
//   3. Vote, bottom up: a core sends its subtree's vote once its own vote and
//      all its children's are in, or at once when any of them is not Yes.
//   4. The root decides: commit if the whole tree said Yes, else abort.
//   5. Commit/Abort, top down: each core carries it out, releases its
//      claims, forwards it.
//   6. Ack, bottom up: a core acknowledges once its whole subtree has; when
//      the root has every ack the operation is over (or, after a Conflict,
//      it is retried after a backoff).
//
// Every message names its attempt (coordinator, seq, attempt); each slot
// remembers the latest attempt of its coordinator and which steps of it are
// done, so a repeated message is recognised and changes nothing.
#include "agree/engine.hpp"

namespace mk::agree {

namespace {

constexpr u64 bit(u8 core) { return u64(1) << core; }

bool valid_kind(Kind k) { return u8(k) >= u8(Kind::Prepare) && u8(k) <= u8(Kind::Ack); }
bool valid_vote(Vote v) { return u8(v) <= u8(Vote::Refused); }

// (seq, attempt) in one number, for ordering attempts of one coordinator.
u64 attempt_id(u32 seq, u16 attempt) { return (u64(seq) << 16) | attempt; }

}  // namespace

u64 Engine::backoff(u8 core, u16 attempt) {
    // Exponential in the attempt (capped), plus an offset unique to the core.
    const u16 a = attempt < 8 ? attempt : 8;
    return (u64(4) << a) + core;
}

bool Engine::busy() const {
    for (u8 c = 0; c < topo_.cores(); ++c) {
        const Slot& s = slots_[c];
        if (s.phase == Phase::Idle) continue;
        if (s.locked || !s.ack_sent) return true;
    }
    return !idle();
}

bool Engine::conflict(const Slot& a, const Slot& b) const {
    for (u8 i = 0; i < a.claim_count; ++i)
        for (u8 j = 0; j < b.claim_count; ++j)
            if (overlaps(a.claims[i], b.claims[j])) return true;
    return false;
}

Status Engine::start(const Op& op) {
    if (!topo_.valid() || self_ >= topo_.cores()) return Error::InvalidArgument;
    if (state_ != CoordinatorState::Idle) return Error::Busy;
    if (!app_.well_formed(op)) return Error::InvalidArgument;
    // A previous attempt of ours still being acknowledged would share the slot.
    if (slots_[self_].phase != Phase::Idle && !slots_[self_].ack_sent) return Error::Busy;
    op_ = op;
    ++seq_;
    attempt_ = 0;
    // The priority is fixed here and kept across retries, so a retried
    // operation only gets older relative to newcomers (no starvation).
    stamp_ = ++clock_;
    state_ = CoordinatorState::Running;
    ++stats_.started;
    begin_attempt();
    return {};
}

void Engine::poll(u64 now) {
    now_ = now;
    if (state_ == CoordinatorState::Backoff && now_ >= retry_at_) {
        ++attempt_;
        ++stats_.retries;
        state_ = CoordinatorState::Running;
        begin_attempt();
    }
}

void Engine::begin_attempt() {
    Message m;
    m.kind = Kind::Prepare;
    m.from = self_;
    m.coordinator = self_;
    m.seq = seq_;
    m.attempt = attempt_;
    m.stamp = stamp_;
    m.op = op_;
    prepare_locally(self_, m);
}

Receipt Engine::receive(const Message& m) {
    const u8 n = topo_.cores();
    if (m.from >= n || m.coordinator >= n) return Receipt::BadCore;
    if (m.from == self_) return Receipt::BadSender;
    if (!valid_kind(m.kind) || !valid_vote(m.vote)) return Receipt::BadKind;
    if (m.reserved32 != 0) return Receipt::Malformed;
    if (m.answers != 0 && m.kind != Kind::Vote && m.kind != Kind::Commit) return Receipt::Malformed;
    if (m.kind != Kind::Prepare && !(m.op == Op{})) return Receipt::Malformed;
    if (m.kind != Kind::Vote && m.vote != Vote::Yes) return Receipt::Malformed;

    Receipt r = Receipt::Malformed;
    switch (m.kind) {
        case Kind::Prepare: r = on_prepare(m); break;
        case Kind::Vote: r = on_vote(m); break;
        case Kind::Commit:
        case Kind::Abort: r = on_decision(m); break;
        case Kind::Ack: r = on_ack(m); break;
    }
    // Only messages that were taken move the clock: a rejected one changes nothing.
    if (r == Receipt::Accepted && m.stamp > clock_) clock_ = m.stamp;
    return r;
}

// The attempt a vote, decision or ack names must be the slot's current one.
Receipt Engine::check_same_attempt(const Message& m, const Slot& s) const {
    if (s.phase == Phase::Idle) return Receipt::UnknownOp;
    const u64 have = attempt_id(s.seq, s.attempt), got = attempt_id(m.seq, m.attempt);
    if (got < have) return Receipt::Stale;
    if (got > have) return Receipt::UnknownOp;
    if (m.stamp != s.stamp) return Receipt::Malformed;
    return Receipt::Accepted;
}

Receipt Engine::on_prepare(const Message& m) {
    if (topo_.parent(m.coordinator, self_) != m.from) return Receipt::BadSender;
    if (!app_.well_formed(m.op)) return Receipt::Malformed;
    const Slot& s = slots_[m.coordinator];
    if (s.phase != Phase::Idle) {
        const u64 have = attempt_id(s.seq, s.attempt), got = attempt_id(m.seq, m.attempt);
        if (got < have) return Receipt::Stale;
        if (got == have) return (m.op == s.op && m.stamp == s.stamp) ? Receipt::Duplicate : Receipt::Malformed;
        // A coordinator starts its next attempt only after every core has
        // acknowledged the last one, so this slot must be finished.
        if (!s.ack_sent) return Receipt::WrongPhase;
    }
    prepare_locally(m.coordinator, m);
    return Receipt::Accepted;
}

void Engine::prepare_locally(u8 coordinator, const Message& m) {
    Slot& s = slots_[coordinator];
    s = Slot{};
    s.phase = Phase::Waiting;
    s.seq = m.seq;
    s.attempt = m.attempt;
    s.stamp = m.stamp;
    s.op = m.op;
    Claim claims[kMaxClaims];
    usize count = app_.claims(m.op, claims);
    if (count > kMaxClaims) count = kMaxClaims;
    s.claim_count = u8(count);
    for (usize i = 0; i < count; ++i) s.claims[i] = claims[i];
    s.votes_pending = topo_.children(coordinator, self_);

    // Forward before voting, so the subtree starts its work in parallel
    // with ours; a No found here later does not need to reach them first.
    Message fwd = m;
    fwd.from = self_;
    for (u8 c = 0; c < topo_.cores(); ++c)
        if (s.votes_pending & bit(c)) {
            ++stats_.sent[u8(Kind::Prepare)];
            net_.send(c, fwd);
        }
    try_vote(coordinator);
}

// Wait-die (docs/agreement.md, "Conflicts"): an operation that meets a
// conflicting older one here, holding the claims or waiting for them, dies
// (votes Conflict and is retried); one that meets only younger holders
// waits for them. Waits therefore always point from older to younger
// operations: no cycle, so no deadlock; and the oldest operation in the
// system never dies, so something always completes.
void Engine::try_vote(u8 coordinator) {
    Slot& s = slots_[coordinator];
    if (s.phase != Phase::Waiting) return;
    bool must_wait = false;
    for (u8 c = 0; c < topo_.cores(); ++c) {
        if (c == coordinator) continue;
        const Slot& other = slots_[c];
        const bool holds = other.locked;
        const bool waits = other.phase == Phase::Waiting;
        if (!(holds || waits) || !conflict(s, other)) continue;
        if (older(c, coordinator)) {
            s.local = Vote::Conflict;
            ++stats_.conflicts;
            break;
        }
        if (holds) must_wait = true;
    }
    if (s.local != Vote::Conflict) {
        if (must_wait) {
            ++stats_.waits;
            return;
        }
        s.local = app_.prepare(s.op);
        // Yes, no, or "not now" (Conflict: retried after a backoff, like a lost lock).
        if (s.local == Vote::Conflict) ++stats_.conflicts;
        else if (s.local != Vote::Yes) s.local = Vote::Refused;
        s.locked = s.local == Vote::Yes;
        if (s.locked) s.answers |= app_.answer(s.op);
    }
    s.phase = Phase::Voted;
    s.combined = worse(s.combined, s.local);
    maybe_send_vote(coordinator);
}

// A released claim may let a waiting slot vote; voting may in turn end
// (abort) nothing locally, so one pass in coordinator order suffices to be
// deterministic. A slot that votes Yes takes its locks before later slots
// are looked at.
void Engine::retry_waiting() {
    for (u8 c = 0; c < topo_.cores(); ++c)
        if (slots_[c].phase == Phase::Waiting) try_vote(c);
}

void Engine::maybe_send_vote(u8 coordinator) {
    Slot& s = slots_[coordinator];
    if (s.vote_sent) return;
    // A No from anyone decides the attempt: send it up without waiting.
    const bool known = s.combined != Vote::Yes || (s.phase == Phase::Voted && s.votes_pending == 0);
    if (!known) return;
    s.vote_sent = true;
    const u8 parent = topo_.parent(coordinator, self_);
    if (parent == kNoCore) {
        decide(coordinator, s.combined == Vote::Yes);
        return;
    }
    send(parent, Kind::Vote, coordinator, s.combined);
}

Receipt Engine::on_vote(const Message& m) {
    if (topo_.parent(m.coordinator, m.from) != self_) return Receipt::BadSender;
    Slot& s = slots_[m.coordinator];
    const Receipt same = check_same_attempt(m, s);
    if (same != Receipt::Accepted) return same;
    if (!(s.votes_pending & bit(m.from))) return Receipt::Duplicate;
    s.votes_pending &= ~bit(m.from);
    // After the decision (an early No elsewhere) a late vote only completes
    // the bookkeeping.
    if (s.phase == Phase::Waiting || s.phase == Phase::Voted) {
        s.combined = worse(s.combined, m.vote);
        s.answers |= m.answers;
        maybe_send_vote(m.coordinator);
    }
    return Receipt::Accepted;
}

Receipt Engine::on_decision(const Message& m) {
    if (topo_.parent(m.coordinator, self_) != m.from) return Receipt::BadSender;
    Slot& s = slots_[m.coordinator];
    const Receipt same = check_same_attempt(m, s);
    if (same != Receipt::Accepted) return same;
    const bool commit = m.kind == Kind::Commit;
    if (s.phase == Phase::Committed || s.phase == Phase::Aborted) {
        const bool was_commit = s.phase == Phase::Committed;
        return was_commit == commit ? Receipt::Duplicate : Receipt::WrongPhase;
    }
    // Commit needs this core's Yes; a coordinator never sends one otherwise.
    if (commit && !(s.phase == Phase::Voted && s.local == Vote::Yes)) return Receipt::WrongPhase;
    if (commit) s.answers = m.answers;  // everyone's, from the root
    decide(m.coordinator, commit);
    return Receipt::Accepted;
}

void Engine::decide(u8 coordinator, bool commit) {
    Slot& s = slots_[coordinator];
    if (commit) {
        app_.commit(s.op, s.answers);
        s.phase = Phase::Committed;
    } else {
        if (s.locked) app_.abort(s.op);
        s.phase = Phase::Aborted;
    }
    s.locked = false;
    s.vote_sent = true;  // nothing more to say about the vote
    s.acks_pending = topo_.children(coordinator, self_);
    for (u8 c = 0; c < topo_.cores(); ++c)
        if (s.acks_pending & bit(c)) send(c, commit ? Kind::Commit : Kind::Abort, coordinator);
    maybe_send_ack(coordinator);
    retry_waiting();
}

Receipt Engine::on_ack(const Message& m) {
    if (topo_.parent(m.coordinator, m.from) != self_) return Receipt::BadSender;
    Slot& s = slots_[m.coordinator];
    const Receipt same = check_same_attempt(m, s);
    if (same != Receipt::Accepted) return same;
    if (s.phase != Phase::Committed && s.phase != Phase::Aborted) return Receipt::WrongPhase;
    if (!(s.acks_pending & bit(m.from))) return Receipt::Duplicate;
    s.acks_pending &= ~bit(m.from);
    maybe_send_ack(m.coordinator);
    return Receipt::Accepted;
}

void Engine::maybe_send_ack(u8 coordinator) {
    Slot& s = slots_[coordinator];
    if (s.ack_sent || s.acks_pending != 0) return;
    s.ack_sent = true;
    const u8 parent = topo_.parent(coordinator, self_);
    if (parent == kNoCore) {
        root_finished();
        return;
    }
    send(parent, Kind::Ack, coordinator);
}

void Engine::root_finished() {
    const Slot& s = slots_[self_];
    if (s.phase == Phase::Committed) {
        ++stats_.committed;
        state_ = CoordinatorState::Idle;
        app_.finished(op_, Outcome::Committed);
    } else if (s.combined == Vote::Refused) {
        ++stats_.refused;
        state_ = CoordinatorState::Idle;
        app_.finished(op_, Outcome::Refused);
    } else {
        state_ = CoordinatorState::Backoff;
        retry_at_ = now_ + backoff(self_, attempt_);
    }
}

void Engine::send(u8 to, Kind kind, u8 coordinator, Vote vote) {
    const Slot& s = slots_[coordinator];
    Message m;
    m.kind = kind;
    m.from = self_;
    m.coordinator = coordinator;
    m.vote = vote;
    m.seq = s.seq;
    m.attempt = s.attempt;
    m.stamp = s.stamp;
    if (kind == Kind::Vote || kind == Kind::Commit) m.answers = s.answers;
    ++stats_.sent[u8(kind)];
    net_.send(to, m);
}

}  // namespace mk::agree
