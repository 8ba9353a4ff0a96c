// Shared helpers for the URPC tests: a heap-allocated, zeroed frame and
// payloads whose every word is derived from a sequence number, so that a
// lost, duplicated, reordered or torn message shows up as a mismatch.
#pragma once

#include <memory>

#include "urpc/endpoint.hpp"

namespace mk::urpc::test {

inline std::unique_ptr<Frame> new_frame() {
    auto f = std::make_unique<Frame>();
    f->reset();
    return f;
}

inline u64 mix(u64 x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

inline Payload payload_for(u64 seq) {
    Payload p;
    p.w[0] = seq;
    for (usize i = 1; i < kPayloadWords; ++i) p.w[i] = mix(seq * kPayloadWords + i);
    return p;
}

inline bool payload_matches(const Payload& p, u64 seq) {
    const Payload want = payload_for(seq);
    for (usize i = 0; i < kPayloadWords; ++i) {
        if (p.w[i] != want.w[i]) return false;
    }
    return true;
}

struct Pair {
    std::unique_ptr<Frame> frame = new_frame();
    Endpoint a = Endpoint::init(*frame, Side::A);
    Endpoint b = Endpoint::init(*frame, Side::B);
};

}  // namespace mk::urpc::test
