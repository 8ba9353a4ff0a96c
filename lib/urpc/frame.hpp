// The shared memory of a URPC channel: one 4 KiB frame holding two rings of
// 64-byte lines, one ring per direction. This layout is the wire format
// between two cores, so every size and offset is pinned by a static_assert.
// See docs/urpc.md for the protocol that runs over it.
#pragma once

#include <cstddef>

#include "base/types.hpp"

namespace mk::urpc {

inline constexpr usize kPayloadWords = 7;
// Lines per ring: half of the frame each way.
inline constexpr usize kRingLines = 32;
// Message slots per ring. The last line of each ring is the ack line (see Ring).
inline constexpr usize kSlots = kRingLines - 1;

// What a user sends and receives: the 56 bytes of a line that the channel
// does not use.
struct Payload {
    u64 w[kPayloadWords];
};

// One message. The sender fills payload[], then publishes the line by
// storing control with release order; the receiver polls control with
// acquire order. control is the last word so that a line is written in
// address order and the publishing store is the final one.
struct alignas(kCacheLine) Line {
    u64 payload[kPayloadWords];
    u64 control;
};

// One direction. Only the ring's owner (the sending side) ever writes to it,
// including the ack line, through which the owner reports how far it has
// consumed the *reverse* ring when it has no message to piggyback that on.
struct Ring {
    Line slot[kSlots];
    Line ack;
};

// Ring 0 carries A -> B, ring 1 carries B -> A. The creator zeroes the frame
// (reset()) before handing it to both sides; after that each side writes
// only its own outbound ring.
struct alignas(kPageSize) Frame {
    Ring ring[2];

    void reset() {
        for (Ring& r : ring) {
            for (Line& l : r.slot) l = Line{};
            r.ack = Line{};
        }
    }
};

static_assert(sizeof(Payload) == 56);
static_assert(sizeof(Line) == 64 && alignof(Line) == 64);
static_assert(offsetof(Line, payload) == 0 && offsetof(Line, control) == 56);
static_assert(sizeof(Ring) == kRingLines * sizeof(Line));
static_assert(offsetof(Ring, ack) == kSlots * sizeof(Line));
static_assert(sizeof(Frame) == 4096 && alignof(Frame) == 4096);
static_assert(offsetof(Frame, ring) == 0 && sizeof(Frame::ring[0]) == 2048);

}  // namespace mk::urpc
