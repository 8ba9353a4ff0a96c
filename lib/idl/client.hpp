// The interface-independent half of a generated client stub: call ids and
// the table of calls waiting for a reply, the outbox for requests, and
// reassembly and validation of replies (docs/idl.md, "Calls and replies").
//
// A call is asynchronous: the stub queues the request and returns its CallId;
// poll() takes replies off the transport and decodes each into the results
// object the caller named; status() or wait() then report how the call ended.
#pragma once

#include "base/atomic.hpp"
#include "base/result.hpp"
#include "idl/caps.hpp"
#include "idl/codec.hpp"
#include "idl/endpoint_stats.hpp"
#include "idl/frame_check.hpp"
#include "idl/outbox.hpp"
#include "idl/reassembly.hpp"
#include "idl/transport.hpp"

namespace mk::idl {

// Generated per interface: decodes a reply body to `method` into *out, which
// points to that method's Results type, or discards it when out is null.
using ReplyDecoder = Status (*)(u8 method, Reader& r, void* out);

template <Transport T, usize kRequestBytes, usize kReplyBytes, usize kMaxCalls, usize kSlots>
class ClientCore {
    static_assert(kMaxCalls >= 1);

public:
    ClientCore(T& transport, const InterfaceInfo& info, ReplyDecoder decode)
        : transport_(transport), info_(info), decode_(decode) {}

    // Sends what the outbox still holds, then accepts up to `budget` replies.
    // Returns Ok, the error of the last payload that was rejected, or the
    // transport's own receive error.
    Status poll(usize budget = kPollBudget) {
        (void)out_.flush(transport_);
        Status last;
        Payload p;
        for (usize i = 0; i < budget; ++i) {
            Result<bool> got = receive(transport_, p);
            if (!got.ok()) return got.error();
            if (!got.value()) break;
            Status s = accept(p);
            if (!s.ok()) last = s;
        }
        return last;
    }

    // Validates one payload and, when it completes a reply, decodes it for
    // the waiting call. A rejected payload is dropped; if it belonged to a
    // waiting call, that call ends with the same error.
    Status accept(const Payload& p) {
        ++stats_.frames;
        Status s = accept_reply(Header::unpack(p.w[0]), p);
        if (!s.ok()) {
            ++stats_.rejected;
            stats_.last_error = s.error();
        }
        return s;
    }

    // How a call ended: Ok, the error the server replied with, or the error
    // that made its reply invalid; the call is then forgotten. Error::Empty
    // while the reply has not arrived, Error::InvalidArgument for an id that
    // names no call.
    Status status(CallId id) {
        Call* c = find(id);
        if (c == nullptr) return Error::InvalidArgument;
        if (!c->done) return Error::Empty;
        Error e = c->result;
        c->busy = false;
        return e;
    }

    // Polls until the call ends (see status()), or Error::Timeout after
    // max_polls unsuccessful polls.
    Status wait(CallId id, u64 max_polls = ~u64{0}) {
        for (u64 n = 0;; ++n) {
            Status s = status(id);
            if (s.ok() || s.error() != Error::Empty) return s;
            if (n >= max_polls) return Error::Timeout;
            (void)poll();
            cpu_relax();
        }
    }

    // Forgets a call; a reply that still arrives for it is rejected.
    void cancel(CallId id) {
        if (Call* c = find(id)) c->busy = false;
    }

    usize calls_in_flight() const {
        usize n = 0;
        for (const Call& c : calls_) n += c.busy ? 1 : 0;
        return n;
    }
    bool sending() const { return out_.busy(); }
    const EndpointStats& stats() const { return stats_; }
    T& transport() { return transport_; }

protected:
    // Starts a request for which a reply will be decoded into *out. Error::Full
    // when the previous request is still being sent or kMaxCalls are waiting.
    Result<Writer> begin_call(u8 method, void* out) {
        (void)out_.flush(transport_);
        if (out_.busy() || find_free() == nullptr) return Error::Full;
        next_out_ = out;
        next_receive_ = nullptr;
        return out_.begin(info_.tag, method, false, next_id());
    }

    // Starts a one-way request: no call is recorded.
    Result<Writer> begin_oneway(u8 method) {
        (void)out_.flush(transport_);
        if (out_.busy()) return Error::Full;
        return out_.begin(info_.tag, method, false, next_id());
    }

    // Queues the encoded request and sends what fits now. The call is
    // recorded only if this succeeds.
    Result<CallId> finish_call(u8 method, const Writer& w) {
        TRY_STATUS(out_.seal(w));
        Call* c = find_free();
        *c = Call{true, false, id_, method, Error::Ok, next_out_, next_receive_};
        Status s = out_.flush(transport_);
        if (!s.ok() && s.error() != Error::Full) {
            c->busy = false;
            return s.error();
        }
        return id_;
    }

    Status finish_oneway(const Writer& w) {
        TRY_STATUS(out_.seal(w));
        Status s = out_.flush(transport_);
        if (!s.ok() && s.error() != Error::Full) return s;
        return {};
    }

    // A call whose request or reply carries capabilities (caps.hpp). The
    // request is encoded once to check it, so that no capability is handed
    // over for a request that cannot be sent; then its capabilities go to the
    // transport and it is encoded again with the words that travel. A reply
    // with capabilities needs a results object to receive them into
    // (InvalidArgument without one): they are received before the call ends.
    template <typename P, typename R>
    Result<CallId> call_carrying_caps(u8 method, const P& params, R* results) {
        if constexpr (CarriesCaps<R>) {
            if (results == nullptr) return Error::InvalidArgument;
        }
        Writer w = TRY(begin_call(method, results));
        encode(w, params);
        TRY_STATUS(w.status());
        if constexpr (CarriesCaps<P>) {
            P sent = params;
            TRY_STATUS(send_caps(transport_, sent));
            w = out_.begin(info_.tag, method, false, id_);
            encode(w, sent);
        }
        if constexpr (CarriesCaps<R>) next_receive_ = &receive_reply_caps<R>;
        return finish_call(method, w);
    }

    template <typename P>
    Status oneway_carrying_caps(u8 method, const P& params) {
        Writer w = TRY(begin_oneway(method));
        encode(w, params);
        TRY_STATUS(w.status());
        P sent = params;
        TRY_STATUS(send_caps(transport_, sent));
        w = out_.begin(info_.tag, method, false, id_);
        encode(w, sent);
        return finish_oneway(w);
    }

private:
    // Receives the capabilities of a decoded reply (of type R) into the
    // caller's space.
    using ReceiveCaps = Status (*)(ClientCore&, void* out);
    template <typename R>
    static Status receive_reply_caps(ClientCore& self, void* out) {
        return receive_caps(self.transport_, *static_cast<R*>(out));
    }

    struct Call {
        bool busy = false;
        bool done = false;
        CallId id = 0;
        u8 method = 0;
        Error result = Error::Ok;
        void* out = nullptr;
        ReceiveCaps receive = nullptr;
    };

    Status accept_reply(const Header& h, const Payload& p) {
        TRY_STATUS(check_frame(info_, h, p, true));
        Call* c = find(h.call);
        if (c == nullptr || c->done || c->method != h.method) return Error::BadMessage;
        Message m;
        Result<bool> complete = in_.add(h, p, m);
        if (!complete.ok()) return finish(*c, complete.error());
        if (!complete.value()) return {};
        ++stats_.messages;
        if (h.error) {
            Error e = Error::Ok;
            if (!parse_error_reply(m.bytes, m.size, e)) return finish(*c, Error::BadMessage);
            (void)finish(*c, e);
            return {};
        }
        Reader r(m.bytes, m.size);
        Status s = decode_(h.method, r, c->out);
        if (s.ok() && c->receive != nullptr) s = c->receive(*this, c->out);
        return finish(*c, s.ok() ? Error::Ok : s.error());
    }

    Status finish(Call& c, Error e) {
        c.done = true;
        c.result = e;
        return e;
    }

    Call* find(CallId id) {
        for (Call& c : calls_) {
            if (c.busy && c.id == id) return &c;
        }
        return nullptr;
    }
    Call* find_free() {
        for (Call& c : calls_) {
            if (!c.busy) return &c;
        }
        return nullptr;
    }
    // The next id not used by a waiting call (there are more ids than calls).
    CallId next_id() {
        do {
            ++id_;
        } while (find(id_) != nullptr);
        return id_;
    }

    T& transport_;
    const InterfaceInfo& info_;
    ReplyDecoder decode_;
    Outbox<kRequestBytes> out_;
    Reassembler<kReplyBytes, kSlots> in_;
    Call calls_[kMaxCalls];
    CallId id_ = 0;
    void* next_out_ = nullptr;
    ReceiveCaps next_receive_ = nullptr;
    EndpointStats stats_;
};

}  // namespace mk::idl
