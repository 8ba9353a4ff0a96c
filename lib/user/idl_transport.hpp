// The same-core transport of IDL-generated stubs: protected control transfer
// through an Endpoint (lib/user/pct.hpp). A client's try_send is a kSysCall
// that carries one payload (seven words) and brings back the server's reply
// payload at once, which the next try_recv hands to the stub. A server waits
// in kSysReplyRecv; each request it receives is offered to the stub, whose
// reply (at most one payload per request) goes back with the next
// kSysReplyRecv. So one schema serves a peer on another core (over a URPC
// channel) and one on the same core (through the CPU driver) alike.
//
// Limits: one payload each way per call, so messages that fragment are
// refused (Error::TooLong) on this transport; a request that needs no reply
// gets an empty acknowledgement (first word 0, which no stub header is).
#pragma once

#include "idl/payload.hpp"
#include "user/pct.hpp"

namespace mk::user {

class CallTransport {
public:
    explicit CallTransport(u32 endpoint) : endpoint_(endpoint) {}

    Status try_send(const idl::Payload& p) {
        if (has_reply_) return Error::Full;  // the stub has not taken the last reply yet
        Message m;
        for (usize i = 0; i < abi::kMessageWords; ++i) m.w[i] = p.w[i];
        Error e = call(endpoint_, m);
        if (e != Error::Ok) return e;
        if (m.w[0] != 0) {
            for (usize i = 0; i < abi::kMessageWords; ++i) reply_.w[i] = m.w[i];
            has_reply_ = true;
        }
        return {};
    }
    bool try_recv(idl::Payload& out) {
        if (!has_reply_) return false;
        out = reply_;
        has_reply_ = false;
        return true;
    }

private:
    u32 endpoint_;
    idl::Payload reply_{};
    bool has_reply_ = false;
};

class ServeTransport {
public:
    explicit ServeTransport(u32 endpoint) : endpoint_(endpoint) {}

    // The stub's reply to the request being served.
    Status try_send(const idl::Payload& p) {
        if (has_reply_) return Error::TooLong;  // a second payload: fragmented replies do not fit
        reply_ = p;
        has_reply_ = true;
        return {};
    }
    bool try_recv(idl::Payload& out) {
        if (!has_request_) return false;
        out = request_;
        has_request_ = false;
        return true;
    }

    // Answers the previous request (with the stub's reply, or an empty
    // acknowledgement) and waits for the next one.
    Error next_request() {
        Message reply{};
        if (has_reply_) {
            for (usize i = 0; i < abi::kMessageWords; ++i) reply.w[i] = reply_.w[i];
            has_reply_ = false;
        }
        Received r = reply_recv(endpoint_, reply);
        if (r.error != Error::Ok) return r.error;
        for (usize i = 0; i < abi::kMessageWords; ++i) request_.w[i] = r.m.w[i];
        has_request_ = true;
        badge_ = r.badge;
        return Error::Ok;
    }
    u64 badge() const { return badge_; }

    // Answers the last request without waiting for another (before the
    // server ends, so its last caller is not left waiting).
    Error finish() {
        Message m{};
        if (has_reply_) {
            for (usize i = 0; i < abi::kMessageWords; ++i) m.w[i] = reply_.w[i];
            has_reply_ = false;
        }
        return reply(m);
    }

private:
    u32 endpoint_;
    idl::Payload request_{}, reply_{};
    bool has_request_ = false, has_reply_ = false;
    u64 badge_ = 0;
};

}  // namespace mk::user
