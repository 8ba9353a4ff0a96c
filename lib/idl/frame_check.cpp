// Header and fragment checks shared by every generated decoder (frame_check.hpp).
#include "idl/frame_check.hpp"

#include "base/string.hpp"

namespace mk::idl {

Status check_frame(const InterfaceInfo& info, const Header& h, const Payload& p,
                   bool want_reply) {
    if (h.interface_tag != info.tag) return Error::BadMessage;
    if (h.reply != want_reply) return Error::BadMessage;
    if (h.error && !h.reply) return Error::BadMessage;
    if (h.method >= info.method_count) return Error::UnknownMethod;
    const MethodInfo& m = info.methods[h.method];
    if (h.reply && m.oneway) return Error::BadMessage;

    usize max = h.error ? kErrorReplyBytes : (h.reply ? m.max_reply : m.max_request);
    if (h.length > kFragmentBytes) return Error::BadFragment;
    if (h.count == 0 || h.index >= h.count) return Error::BadFragment;
    if (h.count > fragments_for(max)) return Error::BadFragment;
    bool last = h.index + 1 == h.count;
    if (!last && h.length != kFragmentBytes) return Error::BadFragment;
    if (last && h.count > 1 && h.length == 0) return Error::BadFragment;
    if (!body_padding_clear(p, h.length)) return Error::BadFragment;
    if (last && usize{h.index} * kFragmentBytes + h.length > max) return Error::TooLong;
    return {};
}

bool parse_error_reply(const u8* body, usize size, Error& out) {
    if (size != kErrorReplyBytes) return false;
    auto e = static_cast<Error>(static_cast<u16>(body[0] | (body[1] << 8)));
    // error_name() knows every code the system defines.
    if (e == Error::Ok || str_eq(error_name(e), "UnknownError")) return false;
    out = e;
    return true;
}

}  // namespace mk::idl
