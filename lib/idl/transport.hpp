// What generated stubs need from a channel: send one payload if there is
// room, take one payload if there is one. A URPC endpoint between two cores
// is one such transport; a same-core endpoint invocation through the CPU
// driver, which carries a few words per call, is another. Stubs take the
// transport as a template parameter, so neither costs a virtual call.
#pragma once

#include <concepts>

#include "base/result.hpp"
#include "idl/payload.hpp"

namespace mk::idl {

// try_recv may either fill its argument and say whether it did, or return
// the payload as a Result (Error::Empty when there is none).
template <typename T>
concept RecvIntoPayload = requires(T& t, Payload& p) {
    { t.try_recv(p) } -> std::same_as<bool>;
};
template <typename T>
concept RecvResultPayload = requires(T& t) {
    { t.try_recv() } -> std::same_as<Result<Payload>>;
};

// try_send returns Error::Full when the channel has no room; the payload was
// then not sent and may be offered again.
template <typename T>
concept Transport = requires(T& t, const Payload& p) {
    { t.try_send(p) } -> std::same_as<Status>;
} && (RecvIntoPayload<T> || RecvResultPayload<T>);

// Takes one payload if one is waiting: true if it did, false if there was
// none, or the transport's error (a URPC endpoint reports a corrupt ring).
template <Transport T>
Result<bool> receive(T& t, Payload& out) {
    if constexpr (RecvIntoPayload<T>) {
        return t.try_recv(out);
    } else {
        Result<Payload> r = t.try_recv();
        if (!r.ok()) {
            if (r.error() == Error::Empty) return false;
            return r.error();
        }
        out = r.value();
        return true;
    }
}

}  // namespace mk::idl
