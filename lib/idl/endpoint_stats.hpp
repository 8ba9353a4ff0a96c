// Counters every generated client and server keeps, so a monitor or a test
// can see how many payloads a peer sent that did not pass validation.
#pragma once

#include "base/error.hpp"
#include "base/types.hpp"

namespace mk::idl {

struct EndpointStats {
    u64 frames = 0;    // payloads given to accept()
    u64 messages = 0;  // complete messages delivered
    u64 rejected = 0;  // payloads dropped by validation
    Error last_error = Error::Ok;
};

// Payloads one poll() takes off the transport at most, so a busy channel
// cannot keep a caller inside poll() forever.
inline constexpr usize kPollBudget = 32;

}  // namespace mk::idl
