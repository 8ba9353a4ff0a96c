// The interface-independent half of a generated server skeleton: validation
// and reassembly of requests, and the outbox for replies. The generated
// subclass (Derived) decodes each complete request, calls the handler and
// encodes the reply; it is reached through CRTP, so there is no virtual call.
//
// Replies leave in request order through one outbox. While a reply is still
// waiting for room on the transport, the server takes no further requests:
// they stay in the channel, which pushes back on the client.
#pragma once

#include "base/result.hpp"
#include "idl/caps.hpp"
#include "idl/codec.hpp"
#include "idl/endpoint_stats.hpp"
#include "idl/frame_check.hpp"
#include "idl/outbox.hpp"
#include "idl/reassembly.hpp"
#include "idl/transport.hpp"

namespace mk::idl {

template <typename Derived, Transport T, usize kRequestBytes, usize kReplyBytes, usize kSlots>
class ServerCore {
public:
    ServerCore(T& transport, const InterfaceInfo& info) : transport_(transport), info_(info) {}

    // Accepts up to `budget` payloads, stopping early while a reply waits
    // for room. Returns Ok, the error of the last payload rejected, or the
    // transport's own receive error.
    Status poll(usize budget = kPollBudget) {
        Status last;
        Payload p;
        for (usize i = 0; i < budget; ++i) {
            if (!out_.flush(transport_).ok()) break;
            Result<bool> got = receive(transport_, p);
            if (!got.ok()) return got.error();
            if (!got.value()) break;
            Status s = accept(p);
            if (!s.ok()) last = s;
        }
        return last;
    }

    // Validates one payload and, when it completes a request, runs the
    // handler and queues the reply. A rejected payload is dropped; when the
    // request was whole but its body invalid, the client also gets an error
    // reply. Error::Busy means a reply still waits for room: the payload was
    // not looked at and should be offered again.
    Status accept(const Payload& p) {
        if (out_.busy() && !out_.flush(transport_).ok()) return Error::Busy;
        ++stats_.frames;
        Status s = accept_request(Header::unpack(p.w[0]), p);
        if (!s.ok()) {
            ++stats_.rejected;
            stats_.last_error = s.error();
        }
        return s;
    }

    bool replying() const { return out_.busy(); }
    const EndpointStats& stats() const { return stats_; }
    T& transport() { return transport_; }

protected:
    Writer begin_reply(const Header& request) {
        return out_.begin(info_.tag, request.method, true, request.call);
    }

    // Queues an encoded reply. If the results do not encode (a handler left
    // a length above its maximum), the client gets that error instead.
    Status send_reply(const Header& request, const Writer& w) {
        Status s = out_.seal(w);
        if (!s.ok()) {
            (void)reply_error(request, s.error());
            return s;
        }
        return flushed();
    }

    // Answers a request with an error code instead of results.
    Status reply_error(const Header& request, Error e) {
        (void)out_.begin(info_.tag, request.method, true, request.call);
        out_.seal_error(e);
        return flushed();
    }

    // The capabilities of a decoded request, received into this side's space
    // before the handler sees them (caps.hpp). On an error none is left.
    template <typename P>
    Status receive_request_caps(P& params) {
        return receive_caps(transport_, params);
    }

    // A reply whose results carry capabilities: encoded once to check it, so
    // that none is handed over for a reply that cannot be sent; then the
    // capabilities go to the transport and the results are encoded with the
    // words that travel. If that fails the client gets the error instead.
    template <typename R>
    Status reply_carrying_caps(const Header& request, R& results) {
        Writer w = begin_reply(request);
        encode(w, results);
        if (w.failed()) return send_reply(request, w);
        if (Status s = send_caps(transport_, results); !s.ok()) {
            (void)reply_error(request, s.error());
            return s;
        }
        w = begin_reply(request);
        encode(w, results);
        return send_reply(request, w);
    }

    // A whole request whose body did not decode: the client learns why,
    // unless the method is one-way. Returns e, the reason for the drop.
    Status reject(const Header& request, Error e) {
        if (!info_.methods[request.method].oneway) (void)reply_error(request, e);
        return e;
    }

private:
    Status accept_request(const Header& h, const Payload& p) {
        TRY_STATUS(check_frame(info_, h, p, false));
        Message m;
        bool complete = TRY(in_.add(h, p, m));
        if (!complete) return {};
        ++stats_.messages;
        return static_cast<Derived*>(this)->dispatch(m);
    }

    // Ok also when fragments must wait for room: flush() sends them later.
    Status flushed() {
        Status s = out_.flush(transport_);
        if (!s.ok() && s.error() != Error::Full) return s;
        return {};
    }

    T& transport_;
    const InterfaceInfo& info_;
    Outbox<kReplyBytes> out_;
    Reassembler<kRequestBytes, kSlots> in_;
    EndpointStats stats_;
};

}  // namespace mk::idl
