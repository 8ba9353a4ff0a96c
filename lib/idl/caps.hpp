// Capabilities in IDL messages (docs/idl.md, "Capabilities"). An
// interface-typed field is a CapRef: in the sender's hands the address of a
// slot in its own capability space, on the wire whatever word the transport
// makes of it, in the receiver's hands the address of a slot in *its* space.
// The stubs call the hooks below; the transport decides how a capability
// moves. A transport that cannot move capabilities makes every message that
// holds one fail with Error::Unsupported: the slot number is never sent as if
// it meant something to the receiver.
//
// The generator emits, for each message and struct that contains a CapRef
// (directly, in a nested struct or in a List), an overload
//     template <typename F> mk::Status for_each_cap(M& m, F& f)
// that calls f(CapRef&) on each of them in encoding order and stops at the
// first error. Messages without one have none, and their stubs never reach
// this file's functions: so the CPU drivers' and the monitors' stubs are the
// same as before and need no capability machinery.
#pragma once

#include <concepts>

#include "base/result.hpp"
#include "idl/codec.hpp"
#include "idl/transport.hpp"

namespace mk::idl {

// A transport that moves capabilities. For every CapRef of an outgoing
// message the sending stub calls send_cap, which hands the capability to the
// peer's side (it stays in the sender's slot too) and returns the word that
// travels in its place; for every CapRef of a valid incoming message the
// receiving stub calls receive_cap with that word, which puts the capability
// in a free slot of the receiver's own space. If a message cannot be
// delivered whole after all (one of its capabilities could not be received),
// the stub gives back what it has: release_cap deletes a capability that was
// received for it and frees the slot, discard_cap gives up an offer that will
// never be received. Neither may fail in a way the stub could act on.
template <typename T>
concept CapTransport = Transport<T> && requires(T& t, CapRef c, u64 word) {
    { t.send_cap(c) } -> std::same_as<Result<u64>>;
    { t.receive_cap(word) } -> std::same_as<Result<CapRef>>;
    { t.release_cap(c) } -> std::same_as<void>;
    { t.discard_cap(word) } -> std::same_as<void>;
};

namespace detail {

// Only used to ask whether a for_each_cap overload exists for a type.
struct CapProbe {
    Status operator()(CapRef&) const { return {}; }
};

}  // namespace detail

// Whether messages of type M can carry capabilities (the generator emitted a
// for_each_cap for it).
template <typename M>
concept CarriesCaps = requires(M& m, detail::CapProbe& f) {
    { for_each_cap(m, f) } -> std::same_as<Status>;
};

// How many CapRefs the message holds now (a List of capabilities counts its
// elements, which may be none).
template <CarriesCaps M>
usize count_caps(M& m) {
    usize n = 0;
    auto count = [&n](CapRef&) -> Status {
        ++n;
        return {};
    };
    (void)for_each_cap(m, count);
    return n;
}

// Sending side: replaces the sender's slot in every CapRef of m by the word
// that travels. Error::Unsupported when T cannot move capabilities and m
// holds any. An error of the transport is returned as it is; capabilities
// handed over before it are not taken back (docs/idl.md says what becomes of
// them).
template <Transport T, CarriesCaps M>
Status send_caps(T& t, M& m) {
    if constexpr (CapTransport<T>) {
        auto out = [&t](CapRef& c) -> Status {
            Result<u64> word = t.send_cap(c);
            if (!word.ok()) return word.error();
            c.slot = word.value();
            return {};
        };
        return for_each_cap(m, out);
    } else {
        (void)t;
        return count_caps(m) == 0 ? Status{} : Status{Error::Unsupported};
    }
}

// Receiving side: m was decoded and holds the words that travelled; replaces
// each by a slot of the receiver's own. All or nothing: if one cannot be
// received, the capabilities received before it are released, the offers
// after it discarded (receive_cap disposes of the one that failed itself),
// every CapRef of m is zeroed, and the error is returned. Error::Unsupported
// when T cannot move capabilities and m holds any.
template <Transport T, CarriesCaps M>
Status receive_caps(T& t, M& m) {
    if constexpr (CapTransport<T>) {
        usize received = 0;
        Error failed = Error::Ok;
        auto in = [&](CapRef& c) -> Status {
            Result<CapRef> got = t.receive_cap(c.slot);
            if (!got.ok()) {
                failed = got.error();
                return failed;
            }
            c = got.value();
            ++received;
            return {};
        };
        (void)for_each_cap(m, in);
        if (failed == Error::Ok) return {};
        usize i = 0;
        auto undo = [&](CapRef& c) -> Status {
            if (i < received) {
                t.release_cap(c);
            } else if (i > received) {
                t.discard_cap(c.slot);
            }
            ++i;
            c = CapRef{};
            return {};
        };
        (void)for_each_cap(m, undo);
        return failed;
    } else {
        (void)t;
        return count_caps(m) == 0 ? Status{} : Status{Error::Unsupported};
    }
}

}  // namespace mk::idl
