// The unit the IDL runtime hands to a transport: the 56 bytes of a URPC line
// that the channel leaves to its user (the eighth word belongs to the channel).
// It is the channel's own Payload type, so generated stubs and lib/urpc agree
// on the layout by construction; the IDL code uses nothing else from lib/urpc.
#pragma once

#include "base/types.hpp"
#include "urpc/frame.hpp"

namespace mk::idl {

using Payload = mk::urpc::Payload;

inline constexpr usize kPayloadWords = 7;
static_assert(sizeof(Payload) == kPayloadWords * sizeof(u64), "a payload is 7 words");
static_assert(sizeof(Payload) == 56);

}  // namespace mk::idl
