// The mesh: a channel between every two monitors, carrying MonitorPeer in
// both directions (each side routes a payload to its client if it is a reply,
// to its server if it is a request), and core 0's control channels.
#include <new>

#include "idl/route.hpp"
#include "monitor.hpp"
#include "user/syscall.hpp"

namespace mk::monitor {
namespace {

struct PeerHandler {
    u32 peer;  // the core at the channel's other end

    void agree_prepare(const midl::MonitorPeer::AgreePrepareParams& p) {
        agree::Message m;
        m.kind = agree::Kind::Prepare;
        m.from = static_cast<u8>(peer);
        m.coordinator = p.coordinator;
        m.attempt = p.attempt;
        m.seq = p.seq;
        m.stamp = p.stamp;
        m.op.family = p.family;
        m.op.action = p.action;
        m.op.small = p.small;
        m.op.word = p.word;
        m.op.arg[0] = p.arg0;
        m.op.arg[1] = p.arg1;
        m.op.arg[2] = p.arg2;
        agreement_received(m);
    }
    void agree_step(const midl::MonitorPeer::AgreeStepParams& p) {
        agree::Message m;
        m.kind = static_cast<agree::Kind>(p.kind);  // the engine refuses unknown kinds (BadKind)
        m.from = static_cast<u8>(peer);
        m.coordinator = p.coordinator;
        m.vote = static_cast<agree::Vote>(p.vote);
        m.attempt = p.attempt;
        m.answers = p.answers;
        m.seq = p.seq;
        m.stamp = p.stamp;
        if (m.kind == agree::Kind::Prepare) return;  // a prepare comes with its operation only
        agreement_received(m);
    }
    void pool_announce(const midl::MonitorPeer::PoolAnnounceParams& p) {
        if (p.core == peer) record_pool(p.core, p.first, p.count);
    }
    Status ping(const midl::MonitorPeer::PingParams& p, midl::MonitorPeer::PingResults& r) {
        r.from = g_self.core;
        r.seq = p.seq + 1;
        return {};
    }
    void cap_offer(const midl::MonitorPeer::CapOfferParams& p) {
        record_offer(p.ticket, p.cap_type, p.rights, p.base, p.bytes);
    }
    void cap_offer_recorded(const midl::MonitorPeer::CapOfferRecordedParams& p) {
        if ((p.ticket >> 32) == g_self.core) offer_recorded(p.ticket);  // only our own tickets
    }
    void piece_free(const midl::MonitorPeer::PieceFreeParams& p) { piece_free_received(p.base, p.bytes); }
    void channel_offer(const midl::MonitorPeer::ChannelOfferParams& p) {
        channel_offered(peer, p.name.c_str(), p.port, p.cap_type, p.rights, p.base, p.bytes);
    }
    void start_service(const midl::MonitorPeer::StartServiceParams& p) { start_service_here(p.name.c_str()); }
    Status span_start(const midl::MonitorPeer::SpanStartParams& p, midl::MonitorPeer::SpanStartResults& r) {
        return span_here(peer, p, r);
    }
    Status shootdown(const midl::MonitorPeer::ShootdownParams& p, midl::MonitorPeer::ShootdownResults&) {
        return shootdown_here(peer, p.domain, p.vaddr, p.pages);
    }
    Status span_end(const midl::MonitorPeer::SpanEndParams& p, midl::MonitorPeer::SpanEndResults&) {
        return span_end_here(peer, p.domain);
    }
    // Spawn and the shell's questions from another core (spawn.cpp).
    Status spawn_start(const midl::MonitorPeer::SpawnStartParams& p, midl::MonitorPeer::SpawnStartResults& r) {
        r.id = TRY(spawn_here(p.name.chars, p.args.chars, p.has_cap, p.ticket));
        return {};
    }
    Status domain_status(const midl::MonitorPeer::DomainStatusParams& p, midl::MonitorPeer::DomainStatusResults& r) {
        bool ended = false;
        int code = 0;
        TRY_STATUS(program_status(p.id, ended, code));
        r.ended = ended;
        r.exit_code = code;
        return {};
    }
    Status list_domains(const midl::MonitorPeer::ListDomainsParams&, midl::MonitorPeer::ListDomainsResults& r) {
        return list_programs(r.domains);
    }
    Status list_caps(const midl::MonitorPeer::ListCapsParams& p, midl::MonitorPeer::ListCapsResults& r) {
        return list_caps_here(p.id, p.from, r.caps, r.next);
    }
    void programs_ended(const midl::MonitorPeer::ProgramsEndedParams& p) {
        if (g_self.core != 0 || p.core == 0 || p.core >= kMaxCores) return;  // only core 0 collects these
        g_ended[p.core] = {true, p.programs, p.failed};
    }
};

struct Peer {
    Peer(urpc::Frame& f, bool side_a, u32 core_number)
        : core(core_number), ep(urpc::Endpoint::init(f, side_a ? urpc::Side::A : urpc::Side::B)), client(ep),
          handler{core_number}, server(handler, ep) {}
    // Replies go to the client, requests to the server. Nothing else may
    // read this endpoint: a client poll with a budget would take (and reject)
    // the peer's requests.
    void serve() { idl::route(ep, client, server, stash, stashed); }

    u32 core;
    urpc::Endpoint ep;
    midl::MonitorPeerClient<urpc::Endpoint> client;
    PeerHandler handler;
    midl::MonitorPeerServer<PeerHandler, urpc::Endpoint> server;
    urpc::Payload stash{};
    bool stashed = false;
};

alignas(Peer) u8 g_peer_storage[kMaxCores][sizeof(Peer)];
Peer* g_peers[kMaxCores] = {};
usize g_peer_count = 0;

Peer* find_peer(u32 core) {
    for (usize i = 0; i < g_peer_count; ++i) {
        if (g_peers[i]->core == core) return g_peers[i];
    }
    return nullptr;
}

}  // namespace

Control* g_control[kMaxCores] = {};
EndReport g_ended[kMaxCores] = {};

Status attach_peer(u32 peer, bool side_a, u32 frame_cap) {
    if (peer >= g_self.cores || peer == g_self.core) return Error::OutOfRange;
    if (find_peer(peer) != nullptr) return Error::Busy;
    urpc::Frame* f = TRY(map_channel(frame_cap, kMeshVa + u64{peer} * kPageSize));
    g_peers[g_peer_count] = new (g_peer_storage[g_peer_count]) Peer(*f, side_a, peer);
    watch_channel(g_peers[g_peer_count]->ep, peer);
    ++g_peer_count;
    return {};
}

usize peer_count() { return g_peer_count; }

midl::MonitorPeerClient<urpc::Endpoint>* peer_client(u32 core) {
    Peer* p = find_peer(core);
    return p != nullptr ? &p->client : nullptr;
}

void serve_peers() {
    for (usize i = 0; i < g_peer_count; ++i) g_peers[i]->serve();
}

void ping_peers(u32 rounds, u64& round_trips, u32& failed) {
    for (u32 round = 0; round < rounds; ++round) {
        midl::MonitorPeer::PingResults results[kMaxCores] = {};
        idl::CallId ids[kMaxCores] = {};
        bool waiting[kMaxCores] = {};
        u64 seq = (u64{g_self.core} << 32) | round;
        for (usize i = 0; i < g_peer_count; ++i) {  // all peers at once
            auto id = g_peers[i]->client.ping(g_self.core, seq, &results[i]);
            waiting[i] = id.ok();
            if (id.ok()) ids[i] = *id;
            else ++failed;
        }
        u64 until = deadline();
        for (bool any = true; any;) {
            serve_all();
            any = false;
            for (usize i = 0; i < g_peer_count; ++i) {
                if (!waiting[i]) continue;
                Status s = g_peers[i]->client.status(ids[i]);
                if (s.error() == Error::Empty && rdtsc() < until) {
                    any = true;
                    continue;
                }
                if (s.error() == Error::Empty) g_peers[i]->client.cancel(ids[i]);
                if (s.ok() && results[i].from == g_peers[i]->core && results[i].seq == seq + 1) ++round_trips;
                else ++failed;
                waiting[i] = false;
            }
            if (any) idle_wait();
        }
    }
}

Status wait_control(u32 core, idl::CallId id) {
    u64 until = deadline();
    for (;;) {
        (void)g_control[core]->client.poll();
        Status s = g_control[core]->client.status(id);
        if (s.error() != Error::Empty) return s;
        if (rdtsc() > until) {
            g_control[core]->client.cancel(id);
            return Error::Timeout;
        }
        serve_all();
        idle_wait();
    }
}

Status send_cap_offer(u32 to, u64 ticket, const abi::CapIdentity& id) {
    Peer* p = find_peer(to);
    if (p == nullptr) return Error::NotFound;
    TRY_STATUS(p->client.cap_offer(ticket, static_cast<u32>(id.type), static_cast<u32>(id.rights), id.base, id.bytes));
    (void)p->client.poll(0);  // flush only: requests on this channel are the server's (Peer::serve)
    return {};
}

void print_channel_stats() {
    for (usize i = 0; i < g_peer_count; ++i) {
        const Peer& p = *g_peers[i];
        const auto& s = p.server.stats();
        const auto& c = p.client.stats();
        if (s.rejected != 0 || c.rejected != 0 || p.stashed) {
            user::printf("channel to core %u: server frames %lu rejected %lu (%s), client frames %lu rejected %lu (%s), stashed %d, sent %lu received %lu credit %lu",
                   p.core, s.frames, s.rejected, error_name(s.last_error), c.frames, c.rejected, error_name(c.last_error),
                   p.stashed ? 1 : 0, p.ep.sent(), p.ep.received(), p.ep.credit());
        }
    }
}

Status send_agreement(u32 to, const agree::Message& m) {
    Peer* p = find_peer(to);
    if (p == nullptr) return Error::NotFound;
    Status s = m.kind == agree::Kind::Prepare
                   ? p->client.agree_prepare(m.coordinator, m.attempt, m.seq, m.stamp, m.op.family, m.op.action,
                                             m.op.small, m.op.word, m.op.arg[0], m.op.arg[1], m.op.arg[2])
                   : p->client.agree_step(static_cast<u8>(m.kind), m.coordinator, static_cast<u8>(m.vote), m.attempt,
                                          m.answers, m.seq, m.stamp);
    if (s.ok()) (void)p->client.poll(0);
    return s;
}

Status send_pool_announce(u32 to, u32 first, u32 count) {
    Peer* p = find_peer(to);
    if (p == nullptr) return Error::NotFound;
    TRY_STATUS(p->client.pool_announce(g_self.core, first, count));
    (void)p->client.poll(0);
    return {};
}

Status send_offer_recorded(u32 to, u64 ticket) {
    Peer* p = find_peer(to);
    if (p == nullptr) return Error::NotFound;
    TRY_STATUS(p->client.cap_offer_recorded(ticket));
    (void)p->client.poll(0);
    return {};
}

Status send_channel_offer(u32 to, const char* name, u32 port, u32 type, u32 rights, u64 base, u64 bytes) {
    Peer* p = find_peer(to);
    if (p == nullptr) return Error::NotFound;
    midl::MonitorPeer::ChannelOfferParams m;
    TRY_STATUS(m.name.assign(name));
    m.from_core = g_self.core;  // informational: the receiver takes the channel's other end as the sender
    m.port = port;
    m.cap_type = type;
    m.rights = rights;
    m.base = base;
    m.bytes = bytes;
    TRY_STATUS(p->client.channel_offer(m));
    (void)p->client.poll(0);
    return {};
}

Status send_piece_free(u32 to, u64 base, u64 bytes) {
    Peer* p = find_peer(to);
    if (p == nullptr) return Error::NotFound;
    TRY_STATUS(p->client.piece_free(base, bytes));
    (void)p->client.poll(0);
    return {};
}

Status send_start_service(u32 to, const char* name) {
    Peer* p = find_peer(to);
    if (p == nullptr) return Error::NotFound;
    midl::MonitorPeer::StartServiceParams m;
    TRY_STATUS(m.name.assign(name));
    TRY_STATUS(p->client.start_service(m));
    (void)p->client.poll(0);
    return {};
}

Status report_programs_ended(u32 programs, u32 failed) {
    Peer* p = find_peer(0);
    if (p == nullptr) return Error::NotFound;
    TRY_STATUS(p->client.programs_ended(g_self.core, programs, failed));
    (void)p->client.poll(0);  // flush only: requests on this channel are the server's (Peer::serve)
    return {};
}

}  // namespace mk::monitor
