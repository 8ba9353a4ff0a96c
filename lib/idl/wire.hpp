// The IDL wire format of one payload (docs/idl.md, "Wire format"): word 0 is
// a header, words 1..6 carry 48 bytes of the message body. A message longer
// than 48 bytes is cut into fragments that share a call id and are sent in
// index order on one channel.
//
//   63        48 47    40 39    32 31    26  25  24  23     16 15           0
//  +------------+--------+--------+--------+---+---+---------+--------------+
//  |  call id   | count  | index  | length | E | R | method  | interface tag|
//  +------------+--------+--------+--------+---+---+---------+--------------+
#pragma once

#include "base/types.hpp"
#include "idl/payload.hpp"

namespace mk::idl {

// Body bytes per payload: words 1..6.
inline constexpr usize kFragmentBytes = 48;
// The count field has 8 bits.
inline constexpr usize kMaxFragments = 255;
// The largest message any interface may declare.
inline constexpr usize kMaxMessageBytes = kMaxFragments * kFragmentBytes;

// Matches a reply with its request; unique among one client's calls in flight.
using CallId = u16;

// Fragments needed for a body of n bytes; an empty body still takes one.
constexpr usize fragments_for(usize n) {
    return n == 0 ? 1 : (n + kFragmentBytes - 1) / kFragmentBytes;
}

struct Header {
    u16 interface_tag = 0;  // folded 64-bit schema id of the interface
    u8 method = 0;          // the method's ordinal (@N) in the schema
    bool reply = false;     // R: 0 = request, 1 = reply
    bool error = false;     // E: a reply whose body is one u16 Error code
    u8 length = 0;          // body bytes used in this fragment, 0..48 (6 bits)
    u8 index = 0;           // this fragment's position, 0..count-1
    u8 count = 0;           // fragments in the message, 1..255
    CallId call = 0;

    constexpr u64 pack() const {
        return u64{interface_tag} | (u64{method} << 16) | (u64{reply} << 24) |
               (u64{error} << 25) | (u64{static_cast<u8>(length & 0x3f)} << 26) |
               (u64{index} << 32) | (u64{count} << 40) | (u64{call} << 48);
    }

    static constexpr Header unpack(u64 w) {
        Header h;
        h.interface_tag = static_cast<u16>(w);
        h.method = static_cast<u8>(w >> 16);
        h.reply = ((w >> 24) & 1) != 0;
        h.error = ((w >> 25) & 1) != 0;
        h.length = static_cast<u8>((w >> 26) & 0x3f);
        h.index = static_cast<u8>(w >> 32);
        h.count = static_cast<u8>(w >> 40);
        h.call = static_cast<CallId>(w >> 48);
        return h;
    }
};

// Folds a 64-bit Cap'n Proto type id into the 16-bit interface tag.
constexpr u16 interface_tag(u64 schema_id) {
    return static_cast<u16>(schema_id ^ (schema_id >> 16) ^ (schema_id >> 32) ^ (schema_id >> 48));
}

// Body byte i lives in byte (i % 8) of word 1 + i / 8, little-endian, so the
// layout does not depend on the host's byte order.
inline void body_store(Payload& p, const u8* src, usize n) {
    for (usize i = 0; i < kFragmentBytes; ++i) {
        u64 byte = i < n ? src[i] : 0;
        u64& word = p.w[1 + i / 8];
        unsigned shift = static_cast<unsigned>(8 * (i % 8));
        word = (word & ~(u64{0xff} << shift)) | (byte << shift);
    }
}

inline void body_load(const Payload& p, u8* dst, usize n) {
    for (usize i = 0; i < n && i < kFragmentBytes; ++i) {
        dst[i] = static_cast<u8>(p.w[1 + i / 8] >> (8 * (i % 8)));
    }
}

// True when every body byte from `used` on is zero, as a sender leaves them.
inline bool body_padding_clear(const Payload& p, usize used) {
    for (usize i = used; i < kFragmentBytes; ++i) {
        if (static_cast<u8>(p.w[1 + i / 8] >> (8 * (i % 8))) != 0) return false;
    }
    return true;
}

}  // namespace mk::idl
