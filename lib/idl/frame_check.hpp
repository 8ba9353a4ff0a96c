// The first line of validation (docs/idl.md, "Validation"): everything about
// a payload that can be checked on its own, before reassembly and before any
// generated decoder looks at the body. Generated code describes each
// interface with an InterfaceInfo; the checks are the same for all of them.
#pragma once

#include "base/result.hpp"
#include "idl/payload.hpp"
#include "idl/wire.hpp"

namespace mk::idl {

struct MethodInfo {
    u16 max_request;  // largest request body the schema allows, in bytes
    u16 max_reply;    // largest reply body (0 for one-way methods)
    bool oneway;      // no reply at all
};

struct InterfaceInfo {
    u16 tag;               // interface_tag() of the schema id
    u16 method_count;      // methods are numbered 0..method_count-1
    const MethodInfo* methods;
};

// The body of an error reply: one u16 Error code.
inline constexpr usize kErrorReplyBytes = 2;

// Checks one payload that arrives at a server (want_reply = false) or at a
// client (want_reply = true). In this order:
//   wrong interface tag, R flag or E flag without R     -> Error::BadMessage
//   method number not in the interface                  -> Error::UnknownMethod
//   a reply to a one-way method                         -> Error::BadMessage
//   length > 48, count 0, index >= count, count above
//   what the method's largest message needs, a short
//   fragment before the last, an empty last fragment of
//   several, non-zero bytes after length                -> Error::BadFragment
//   the last fragment makes the message longer than the
//   method's largest                                    -> Error::TooLong
Status check_frame(const InterfaceInfo& info, const Header& h, const Payload& p,
                   bool want_reply);

// Reads the Error an error reply carries. False if the body is not exactly
// one u16, or the code is Ok or not one this system defines.
bool parse_error_reply(const u8* body, usize size, Error& out);

}  // namespace mk::idl
