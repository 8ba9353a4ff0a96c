// Shared by the tests of generated code: an in-memory channel with bounded
// rings and a deterministic order, and a server implementation of the
// kitchen_sink Kitchen interface.
#pragma once

#include <deque>
#include <vector>

#include "kitchen_sink.urpc.hpp"

namespace idltest {

using mk::Error;
using mk::Status;
using mk::idl::Payload;

// One direction of a channel: a FIFO that holds at most `capacity` payloads.
struct Ring {
    std::deque<Payload> q;
    mk::usize capacity = 64;
};

// One end of a channel; satisfies mk::idl::Transport.
struct Port {
    Ring* tx;
    Ring* rx;
    Status try_send(const Payload& p) {
        if (tx->q.size() >= tx->capacity) return Error::Full;
        tx->q.push_back(p);
        return {};
    }
    bool try_recv(Payload& p) {
        if (rx->q.empty()) return false;
        p = rx->q.front();
        rx->q.pop_front();
        return true;
    }
};

// Requests flow client -> server in `up`, replies server -> client in `down`.
struct Channel {
    Ring up;
    Ring down;
    Port client{&up, &down};
    Port server{&down, &up};
};

namespace k = mk::idl::test;
using K = k::Kitchen;

struct KitchenImpl {
    int noops = 0;
    std::vector<mk::u16> notes;
    bool break_results = false;  // make bytes() return an unencodable result

    Status scalars(const K::ScalarsParams& p, K::ScalarsResults& r) {
        r.s = p.s;
        return {};
    }
    Status shape(const K::ShapeParams& p, K::ShapeResults& r) {
        r.area = 0;
        for (const k::Point& pt : p.shape.points.view()) r.area += mk::i64{pt.x} * pt.y;
        r.shape = p.shape;
        return {};
    }
    Status bytes(const K::BytesParams& p, K::BytesResults& r) {
        r.data = p.data;
        r.note = p.note;
        r.sum = 0;
        for (mk::u8 b : p.data.view()) r.sum += b;
        if (break_results) r.note.size = 201;
        return {};
    }
    Status lists(const K::ListsParams& p, K::ListsResults& r) {
        r.count = p.flags.size + p.colors.size + p.words.size + p.small.size;
        return {};
    }
    Status attach(const K::AttachParams& p, K::AttachResults& r) {
        r.sink = p.sinks.size > 0 ? p.sinks.items[p.sinks.size - 1] : p.sink;
        return {};
    }
    void notify(const K::NotifyParams& p) { notes.push_back(p.code); }
    Status defaults(const K::DefaultsParams& p, K::DefaultsResults& r) {
        r.a = p.a;
        r.b = p.b;
        r.c = p.c;
        r.d = p.d;
        return {};
    }
    Status named(const K::NamedParams& p, K::NamedResults& r) {
        r.x = p.y;
        r.y = p.x;
        return {};
    }
    Status noop(const K::NoopParams&, K::NoopResults&) {
        ++noops;
        return {};
    }
    Status fail(const K::FailParams& p, K::FailResults&) { return static_cast<Error>(p.code); }
    Status keywords(const K::KeywordsParams& p, K::KeywordsResults& r) {
        r.k = p.k;
        return {};
    }
};

static_assert(k::KitchenHandler<KitchenImpl>);

// Polls both sides until neither makes progress.
template <typename Client, typename Server>
void pump(Channel& ch, Client& client, Server& server) {
    for (int guard = 0; guard < 10000; ++guard) {
        mk::usize before = ch.up.q.size() + ch.down.q.size();
        (void)server.poll();
        (void)client.poll();
        mk::usize after = ch.up.q.size() + ch.down.q.size();
        if (before == 0 && after == 0 && !client.sending() && !server.replying()) return;
    }
}

}  // namespace idltest
