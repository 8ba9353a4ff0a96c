// The agreement protocol's wire format: what one core tells another about one
// operation. Every message is a small fixed-size value that fits in the
// payload of one URPC cache line (lib/urpc/frame.hpp), so the monitors can
// send it as one line and the host simulation can queue it by value. Nothing
// here points into the sender's memory: a receiver validates every field
// before use (engine.cpp) and a malformed message changes nothing.
#pragma once

#include "base/types.hpp"
#include "urpc/frame.hpp"

namespace mk::agree {

// Cores are numbered 0..kMaxCores-1; participant sets are u64 bit masks.
inline constexpr u8 kMaxCores = 64;
inline constexpr u8 kNoCore = 0xff;

// The protocol steps (docs/agreement.md, "Protocol"). Prepare and the
// decisions travel down the coordinator's spanning tree, Vote and Ack up it.
enum class Kind : u8 {
    Prepare = 1,  // lock the op's claims, ask the application, answer with a Vote
    Vote,         // a subtree's aggregated answer
    Commit,       // apply and release
    Abort,        // release (a participant that voted yes undoes its reservation)
    Ack,          // a subtree has carried out the decision
};

constexpr const char* kind_name(Kind k) {
    switch (k) {
        case Kind::Prepare: return "Prepare";
        case Kind::Vote: return "Vote";
        case Kind::Commit: return "Commit";
        case Kind::Abort: return "Abort";
        case Kind::Ack: return "Ack";
    }
    return "Unknown";
}

// A vote. Worse answers win when a subtree's votes are combined:
// Refused > Conflict > Yes.
enum class Vote : u8 {
    Yes = 0,       // claims locked, the application has reserved what it needs
    Conflict = 1,  // a younger operation met a lock: abort, then retry
    Refused = 2,   // the application says no (a conflicting descendant, say): abort for good
};

constexpr const char* vote_name(Vote v) {
    switch (v) {
        case Vote::Yes: return "Yes";
        case Vote::Conflict: return "Conflict";
        case Vote::Refused: return "Refused";
    }
    return "Unknown";
}

constexpr Vote worse(Vote a, Vote b) { return u8(a) > u8(b) ? a : b; }

// What an operation asks for. The engine treats it as opaque except for its
// family (which application handles it); the application decodes the rest
// and names the ranges the operation locks (Claim).
struct Op {
    u8 family = 0;   // which application (Router, router.hpp)
    u8 action = 0;   // what that application should do
    u16 small = 0;   // application-defined
    u32 word = 0;    // application-defined
    u64 arg[3] = {};
    constexpr bool operator==(const Op&) const = default;
};
static_assert(sizeof(Op) == 32);

// One operation attempt is named by (coordinator, seq, attempt): a
// coordinator runs one operation at a time, numbers them, and numbers the
// retries of each. `stamp` is the operation's priority, fixed at its first
// attempt: lower (stamp, coordinator) is older and wins conflicts.
struct Message {
    Kind kind = Kind::Prepare;
    u8 from = 0;         // the sending core (the owner checks it against the channel)
    u8 coordinator = 0;  // whose operation this is: the root of the tree it travels on
    Vote vote = Vote::Yes;
    u16 attempt = 0;
    // Application answers (Application::answer), OR-combined up the tree in
    // Vote and handed to every core in Commit; zero in every other kind.
    u16 answers = 0;
    u32 seq = 0;
    u32 reserved32 = 0;
    u64 stamp = 0;
    Op op;  // Prepare only; zero in every other kind
};

// The URPC payload is 7 words; a message must fit in one line.
static_assert(sizeof(Message) <= sizeof(urpc::Payload));
static_assert(sizeof(Message) == 56);
static_assert(alignof(Message) <= alignof(urpc::Payload));

// A range an operation locks in one of the shared "spaces" (physical memory,
// say). Two operations conflict when any of their claims overlap.
struct Claim {
    u8 space = 0;
    u64 begin = 0;
    u64 end = 0;  // exclusive
};
inline constexpr usize kMaxClaims = 2;

constexpr bool overlaps(const Claim& a, const Claim& b) {
    return a.space == b.space && a.begin < b.end && b.begin < a.end;
}

}  // namespace mk::agree
