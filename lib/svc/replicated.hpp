// Replicated state on the agreement engine (docs/services.md): a service's
// replicas propose updates and every replica applies every committed update,
// in one order that is the same on all of them.
//
// How the order comes about: every update of one stream claims the same lock
// (space kSpaceStream, the stream's number), so the engine's two-phase commit
// serialises them. An update's lock is held on a replica from its Yes vote to
// its commit there, and it commits only after every replica voted; so if a
// replica applied A before B, every replica voted for B after applying A, and
// no replica can apply B before A. Two-phase locking on one lock is a total
// order; concurrent proposers collide on it and the engine's wait-die rule
// decides who goes first (the younger retries after its backoff).
//
// A Replicated is an agree::Application. A service domain owns an Engine of
// its own over its replicas (replica i is engine "core" i); the monitors
// route one family of their shared engine to one (the name table). Neither
// the engine nor this class does I/O.
#pragma once

#include "agree/engine.hpp"
#include "agree/router.hpp"
#include "base/result.hpp"

namespace mk::svc {

// One update, opaque to the framework: the service's own action number
// (1..255) and three words.
struct Update {
    u8 action = 0;
    u64 arg[3] = {};
    constexpr bool operator==(const Update&) const = default;
};

// What a replicated service supplies: a deterministic state machine. Every
// method sees the same updates in the same order on every replica.
class StateMachine {
public:
    // Whether an update can be decoded at all; a replica receiving one that
    // is not is told Malformed and nothing changes. propose() refuses it.
    virtual bool valid(const Update&) const { return true; }
    // Whether it may be applied to the current state (every replica answers
    // the same: they have applied the same updates before it). No refuses it
    // everywhere; the proposer sees Error::NoRights for its ticket.
    virtual bool acceptable(const Update&) const { return true; }
    // Apply it; `origin` is the replica that proposed it, `ticket` the
    // number propose() gave it there (so the proposer can keep a result).
    virtual void apply(const Update&, u8 origin, u32 ticket) = 0;

    // Whether `origin` is this replica (its own updates), once a Replicated
    // runs this machine.
    bool mine(u8 origin) const { return origin == self_; }

protected:
    ~StateMachine() = default;

private:
    friend class Replicated;
    u8 self_ = 0xff;
};

class Replicated final : public agree::Application {
public:
    static constexpr u32 kQueue = 64;  // updates this replica has proposed and not yet finished

    // `family` is the Op family its operations carry, `stream` the lock they
    // share; `self` is this replica's number among `replicas`.
    Replicated(u8 family, u32 stream, u8 self, u8 replicas, StateMachine& machine)
        : family_(family), stream_(stream), self_(self), replicas_(replicas), machine_(machine) {
        machine.self_ = self;
    }
    Replicated(const Replicated&) = delete;
    Replicated& operator=(const Replicated&) = delete;

    // Queues an update; the ticket (1, 2, ...) names it in status(). Errors:
    // InvalidArgument (action 0 or the machine says not valid), Full.
    Result<u32> propose(const Update& u);
    // Starts the oldest queued update when the engine coordinates nothing.
    // Call it whenever the engine may have become idle (the event loop does).
    void pump(agree::Engine& engine);

    // Empty while ticket `t` waits or runs, Ok once applied on this replica,
    // NoRights if the replicas refused it, NotFound for a ticket never issued
    // (or refused so long ago that it is forgotten).
    Status status(u32 ticket) const;
    bool applied(u32 ticket) const { return status(ticket).ok(); }

    u64 applied_count() const { return applied_; }
    // A hash chain over every applied update, its origin and ticket, in
    // order: two replicas with equal digests applied the same sequence.
    u64 digest() const { return digest_; }
    u32 queued() const { return count_; }
    u32 refused() const { return refused_total_; }
    u32 stream() const { return stream_; }
    u8 self() const { return self_; }
    u8 replicas() const { return replicas_; }

    // The operation that carries update `u`, ticket `t`, from this replica.
    agree::Op encode(const Update& u, u32 ticket) const;
    // The update an operation carries (false if it is not one of ours).
    bool decode(const agree::Op& op, Update& u, u8& origin, u32& ticket) const;

    // agree::Application
    bool well_formed(const agree::Op& op) const override;
    usize claims(const agree::Op& op, agree::Claim (&out)[agree::kMaxClaims]) const override;
    agree::Vote prepare(const agree::Op& op) override;
    void commit(const agree::Op& op, u16 answers) override;
    void finished(const agree::Op& op, agree::Outcome outcome) override;

private:
    u8 family_;
    u32 stream_;
    u8 self_, replicas_;
    StateMachine& machine_;

    Update queue_[kQueue];
    u32 head_ = 0, count_ = 0;
    bool running_ = false;  // the head is in the engine
    u32 next_ticket_ = 1;
    u32 applied_own_ = 0;   // this replica's own updates apply in ticket order: all up to here are done
    u32 finished_own_ = 0;  // and finish in ticket order
    static constexpr u32 kRefusedMemory = 16;
    u32 refused_[kRefusedMemory] = {};
    u32 refused_total_ = 0;

    u64 applied_ = 0;
    u64 digest_ = 0x6a09e667f3bcc908ull;
};

// A 64-bit mixing step (splitmix64's finaliser), for digests.
constexpr u64 mix64(u64 x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

}  // namespace mk::svc
