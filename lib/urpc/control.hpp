// The control word, the last word of every line: the only part of a line
// the channel owns. It says what the line is, which lap of the ring wrote
// it, and how far its writer has consumed the reverse ring. Pure functions,
// shared by the endpoint and the tests that forge lines.
#pragma once

#include "base/types.hpp"

namespace mk::urpc::control {

// Bit layout (63 on the left):
//   [63..56] kind   kData or kAck; 0 means "never written since reset"
//   [55..48] tag    data line: lap number mod 256; ack line: flags
//   [47..0]  ack    lines the writer has consumed from the reverse ring, mod 2^48
//
// The kind byte and the 8-bit lap make a stale or corrupted word easy to
// tell from a fresh one: only one exact value is "the next message".
inline constexpr u8 kData = 0xD5;
inline constexpr u8 kAck = 0xAC;
inline constexpr u8 kWaiting = 0x01;  // ack-line flag: the writer may halt; wake it
inline constexpr unsigned kAckBits = 48;
inline constexpr u64 kAckMask = (u64{1} << kAckBits) - 1;

constexpr u64 make(u8 kind, u8 tag, u64 ack) {
    return (u64{kind} << 56) | (u64{tag} << kAckBits) | (ack & kAckMask);
}
constexpr u64 data(u8 lap, u64 ack) { return make(kData, lap, ack); }
constexpr u64 ack_only(u64 ack, bool waiting) { return make(kAck, waiting ? kWaiting : 0, ack); }

constexpr u8 kind(u64 c) { return static_cast<u8>(c >> 56); }
constexpr u8 tag(u64 c) { return static_cast<u8>(c >> kAckBits); }
constexpr u64 ack(u64 c) { return c & kAckMask; }

// How a received ack field relates to what we know. `sent` is how many
// lines we have published, `acked` how many of them we know are consumed.
enum class AckMeaning { Stale, Advance, Bogus };

struct AckResult {
    AckMeaning meaning;
    u64 acked;  // the new consumed count when meaning == Advance
};

// The field holds only the low 48 bits, so it is read as "this many lines
// behind what we have sent". A value ahead of `sent` is impossible for a
// correct peer (it cannot consume what was never published) and is Bogus;
// one at or behind what we already know is Stale (an older report, e.g. an
// ack line written before the last piggybacked ack) and is ignored.
constexpr AckResult interpret_ack(u64 field, u64 sent, u64 acked) {
    const u64 behind = (sent - field) & kAckMask;
    if (behind > (kAckMask >> 1)) return {AckMeaning::Bogus, acked};
    if (behind >= sent - acked) return {AckMeaning::Stale, acked};
    return {AckMeaning::Advance, sent - behind};
}

}  // namespace mk::urpc::control
