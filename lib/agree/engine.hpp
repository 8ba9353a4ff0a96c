// Engine: one core's side of the agreement protocol, a two-phase commit with
// a coordinator per operation whose messages travel along that coordinator's
// spanning tree (topology.hpp). The same object is the coordinator of this
// core's own operations and a participant in everyone else's.
//
// The engine does no I/O and keeps no clock: its owner (the monitor, or the
// host simulation) feeds it every received message (receive), tells it the
// time (poll), and gives it a Network to send through and an Application
// that decides and carries out operations. All state is in fixed arrays, one
// participant slot per possible coordinator, because a coordinator runs one
// operation at a time (its owner queues the rest).
//
// The protocol, its conflict rule and why it can neither deadlock nor
// livelock are in docs/agreement.md.
#pragma once

#include "agree/message.hpp"
#include "agree/topology.hpp"
#include "base/result.hpp"

namespace mk::agree {

// How the engine took one received message. Only Accepted changed anything;
// Duplicate and Stale are the expected results of a message that arrives
// twice and are harmless; the rest name a message that must not happen.
enum class Receipt : u8 {
    Accepted,
    Duplicate,   // this step of this attempt was already handled
    Stale,       // for an attempt this core has already moved past
    BadCore,     // a core number outside the topology
    BadSender,   // not from the core the tree says this step comes from
    BadKind,     // an unknown message kind or vote
    Malformed,   // reserved fields set, an invalid operation, contents that contradict the attempt
    UnknownOp,   // a vote, decision or ack for an attempt this core never prepared
    WrongPhase,  // a known attempt, but not the step it is waiting for
};

constexpr const char* receipt_name(Receipt r) {
    switch (r) {
        case Receipt::Accepted: return "Accepted";
        case Receipt::Duplicate: return "Duplicate";
        case Receipt::Stale: return "Stale";
        case Receipt::BadCore: return "BadCore";
        case Receipt::BadSender: return "BadSender";
        case Receipt::BadKind: return "BadKind";
        case Receipt::Malformed: return "Malformed";
        case Receipt::UnknownOp: return "UnknownOp";
        case Receipt::WrongPhase: return "WrongPhase";
    }
    return "Unknown";
}

// How one of this core's operations ended.
enum class Outcome : u8 { Committed, Refused };

class Network {
public:
    virtual void send(u8 /*to*/, const Message&) {}

protected:
    ~Network() = default;
};

// What an operation means, supplied by the engine's user. Calls happen in
// this order per core and attempt: prepare, then (only if prepare said Yes)
// exactly one of commit or abort. Every method runs on the core's own state
// only; none of them may send messages or call back into the engine.
class Application {
public:
    // Whether `op` can be decoded at all. A Prepare carrying an operation
    // that is not well formed is rejected (Receipt::Malformed) and changes
    // nothing; start() refuses one.
    virtual bool well_formed(const Op&) const { return false; }
    // The ranges the operation locks on every core, at most kMaxClaims.
    virtual usize claims(const Op&, Claim (&)[kMaxClaims]) const { return 0; }
    // Check the local state. Yes means "I can apply it and have reserved
    // what it needs, so nothing local will change that"; Refused means the
    // operation must fail; Conflict means "not now": local state that no
    // claim covers is in transition (a capability on its way to another
    // core), and the coordinator retries after its backoff, as after a lost
    // lock. Conflict must be transient, or the operation never ends.
    virtual Vote prepare(const Op&) { return Vote::Refused; }
    // Bits this core adds to its Yes vote: the only way a participant tells
    // the others something. The engine ORs them over every core and passes
    // the result to every commit ("does any core still hold a copy?").
    virtual u16 answer(const Op&) const { return 0; }
    // Carry out the operation; `answers` is the OR of every core's answer().
    virtual void commit(const Op&, u16 /*answers*/) {}
    // Undo what a Yes from prepare reserved.
    virtual void abort(const Op&) {}
    // On the coordinator only, once every core has acknowledged the decision.
    virtual void finished(const Op&, Outcome) {}

protected:
    ~Application() = default;
};

// A participant's progress in one coordinator's current attempt.
enum class Phase : u8 {
    Idle,       // nothing seen from this coordinator yet
    Waiting,    // prepared, but a younger operation holds conflicting claims: no local vote yet
    Voted,      // local vote decided; gathering the subtree's votes
    Committed,  // decision carried out; gathering the subtree's acks
    Aborted,
};

constexpr const char* phase_name(Phase p) {
    switch (p) {
        case Phase::Idle: return "Idle";
        case Phase::Waiting: return "Waiting";
        case Phase::Voted: return "Voted";
        case Phase::Committed: return "Committed";
        case Phase::Aborted: return "Aborted";
    }
    return "Unknown";
}

struct Slot {
    Phase phase = Phase::Idle;
    bool locked = false;     // local Yes: the claims are held here
    bool vote_sent = false;  // the subtree's vote has gone up (or, at the root, been decided on)
    bool ack_sent = false;   // the subtree's ack has gone up (or the root has finished)
    Vote local = Vote::Yes;
    Vote combined = Vote::Yes;  // worst of the local vote and the children's so far
    u16 attempt = 0;
    u16 answers = 0;  // OR of the answers seen so far (after Commit: everyone's)
    u32 seq = 0;
    u64 stamp = 0;
    u64 votes_pending = 0;  // children that have not voted
    u64 acks_pending = 0;   // children that have not acknowledged the decision
    u8 claim_count = 0;
    Claim claims[kMaxClaims];
    Op op;
};

struct Stats {
    u64 sent[6] = {};  // by Kind
    u64 started = 0, committed = 0, refused = 0, retries = 0;
    u64 waits = 0;     // prepares that had to wait for a younger holder
    u64 conflicts = 0; // local Conflict votes
    u64 sent_total() const { return sent[1] + sent[2] + sent[3] + sent[4] + sent[5]; }
};

enum class CoordinatorState : u8 { Idle, Running, Backoff };

class Engine {
public:
    Engine(u8 self, const Topology& topology, Network& net, Application& app)
        : self_(self), topo_(topology), net_(net), app_(app) {}
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Starts agreeing on `op` with every core. Errors: Busy (this core's
    // previous operation has not finished), InvalidArgument (malformed op,
    // or this core is not in a valid topology).
    Status start(const Op& op);

    // Handles one message from another core. See Receipt.
    Receipt receive(const Message& m);

    // Tells the engine the owner's time (any monotonic unit); starts a retry
    // whose backoff has run out.
    void poll(u64 now);

    // The delay before retrying attempt `attempt` of an operation aborted by
    // a conflict: it grows with the attempt and differs between cores, so
    // two cores that keep colliding drift apart. Deterministic, so a
    // simulation seed replays exactly.
    static u64 backoff(u8 core, u16 attempt);

    u8 self() const { return self_; }
    const Topology& topology() const { return topo_; }
    CoordinatorState state() const { return state_; }
    bool idle() const { return state_ == CoordinatorState::Idle; }
    const Slot& slot(u8 coordinator) const { return slots_[coordinator]; }
    // The operation this core coordinates (meaningful unless idle()).
    const Op& current() const { return op_; }
    u16 attempt() const { return attempt_; }
    u64 clock() const { return clock_; }
    const Stats& stats() const { return stats_; }
    // Whether this core still holds claims or gathers votes or acks for any
    // attempt: false on every core once the system is quiet.
    bool busy() const;

private:
    void begin_attempt();
    Receipt on_prepare(const Message& m);
    Receipt on_vote(const Message& m);
    Receipt on_decision(const Message& m);
    Receipt on_ack(const Message& m);
    Receipt check_same_attempt(const Message& m, const Slot& s) const;

    void prepare_locally(u8 coordinator, const Message& m);
    // Decides the local vote of a slot if its claims are free, or leaves it waiting.
    void try_vote(u8 coordinator);
    void retry_waiting();
    void maybe_send_vote(u8 coordinator);
    void decide(u8 coordinator, bool commit);
    void maybe_send_ack(u8 coordinator);
    void root_finished();
    void send(u8 to, Kind kind, u8 coordinator, Vote vote = Vote::Yes);

    // Older operations win: lower (stamp, coordinator).
    bool older(u8 a, u8 b) const {
        return slots_[a].stamp != slots_[b].stamp ? slots_[a].stamp < slots_[b].stamp : a < b;
    }
    bool conflict(const Slot& a, const Slot& b) const;

    u8 self_;
    Topology topo_;
    Network& net_;
    Application& app_;

    Slot slots_[kMaxCores];
    u64 clock_ = 0;  // Lamport clock: priorities of new operations follow what this core has seen
    u64 now_ = 0;

    // This core's own operation.
    CoordinatorState state_ = CoordinatorState::Idle;
    Op op_;
    u32 seq_ = 0;
    u16 attempt_ = 0;
    u64 stamp_ = 0;
    u64 retry_at_ = 0;

    Stats stats_;
};

}  // namespace mk::agree
