// The service framework's guest side (docs/services.md): what a service's
// domain runs, so that the service itself is only its handlers.
//
//   svc::Domain      the domain's memory, capability slots and its channel
//                    to the monitor (Local), and channels to services
//                    (Local.connect, Local.acceptChannel) mapped as URPC frames;
//   svc::Service     one replica of a service: registers its name, connects
//                    to the other replicas (every replica connects to the
//                    replicas on higher-numbered cores, port kPortReplica, and
//                    accepts from the lower ones), runs the agreement engine
//                    of its replicated state over those channels, serves its
//                    clients with the interface generated from its schema,
//                    and ends when the monitor asks it to;
//   svc::wait        a client's wait for the reply to a call.
//
// Same-core and cross-core clients are alike: both come over a URPC channel
// that the monitors set up, so one generated interface serves both.
//
// Header-only: it is built with each service, against that service's
// generated stubs. Guest code: it needs lib/user.
#pragma once

#include <new>

#include "abi/caps.hpp"
#include "agree/engine.hpp"
#include "agree/topology.hpp"
#include "idl/route.hpp"
#include "svc.urpc.hpp"
#include "svc/names.hpp"
#include "svc/replicated.hpp"
#include "urpc/endpoint.hpp"
#include "user/caps.hpp"
#include "user/console.hpp"
#include "user/monitor_link.hpp"
#include "user/syscall.hpp"
#include "user/vm.hpp"

namespace mk::svc {

inline constexpr u32 kPortClient = 0;   // Local.connect's port: a client of the service
inline constexpr u32 kPortReplica = 1;  // another replica of the same service

inline u64 rdtsc() {
    u32 lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (u64{hi} << 32) | lo;
}
inline u64 tsc_hz() { return reinterpret_cast<const abi::DispatcherFrame*>(abi::kDispatcherFrameAddress)->tsc_hz; }

// Waits for the end of call `id` of `client` (any generated client over a
// URPC endpoint), yielding meanwhile; Timeout after `seconds`.
template <typename Client>
Status wait(Client& client, idl::CallId id, u64 seconds = 10) {
    u64 until = rdtsc() + seconds * tsc_hz();
    for (;;) {
        (void)client.poll();
        Status s = client.status(id);
        if (s.error() != Error::Empty) return s;
        if (rdtsc() > until) {
            client.cancel(id);
            return Error::Timeout;
        }
        user::yield();
    }
}

// The domain: its 4 MiB of RAM (what a monitor gives a program), its slots,
// its address space, its channel to the monitor.
class Domain {
public:
    static constexpr u64 kLinkVa = 0x60000000000;
    static constexpr u64 kChannelVa = 0x61000000000;  // channels, a page each

    static Domain& get() {
        static Domain d;
        return d;
    }
    // NotFound: no monitor link (not started by a monitor).
    Status open() {
        if (link_ != nullptr) return {};
        link_ = TRY(user::MonitorLink::open(space_, kLinkVa));
        return {};
    }
    user::MonitorLink::Client& monitor() { return link_->client(); }
    // A call to the monitor, waited for.
    Status ask(Result<idl::CallId> id) { return id.ok() ? link_->wait(*id) : Status(id.error()); }

    Result<u32> slot() { return slots_.next(); }
    // Maps the channel frame in `slot` at the next free channel address.
    Result<urpc::Frame*> map_channel(u32 slot) {
        u64 va = kChannelVa + u64{channels_} * kPageSize;
        TRY_STATUS(space_.map_frame(va, slot, abi::kMapWrite));
        ++channels_;
        return reinterpret_cast<urpc::Frame*>(va);
    }

    // A channel to the replica of `name` on `core` (side A): the monitor
    // starts the service there if it is not running yet.
    Result<urpc::Frame*> connect(const char* name, u32 core, u32 port = kPortClient) {
        u32 s = TRY(slot());
        idl::monitor::Local::ConnectParams p;
        TRY_STATUS(p.name.assign(name));
        p.to_core = core;
        p.port = port;
        p.slot = s;
        TRY_STATUS(ask(monitor().connect(p)));
        return map_channel(s);
    }

    u32 core() const { return static_cast<u32>(frame().core); }
    u32 cores() const { return static_cast<u32>(frame().cores); }

private:
    static const abi::DispatcherFrame& frame() {
        return *reinterpret_cast<const abi::DispatcherFrame*>(abi::kDispatcherFrameAddress);
    }
    Domain() : slots_(abi::kSlotCNode2), ram_(kRam, ram_bytes(), slots_), space_(
        abi::cap_address(abi::kTaskCNode, abi::kTaskVSpace), ram_) {}
    static constexpr u32 kRam = abi::cap_address(abi::kRamCNode, 0);
    static u64 ram_bytes() {  // what the monitor gave this program
        abi::CapIdentity id{};
        return user::identify(kRam, id) == Error::Ok ? id.bytes : 0;
    }
    user::SlotAllocator slots_;
    user::RamAllocator ram_;
    user::AddressSpace space_;
    user::MonitorLink* link_ = nullptr;
    u32 channels_ = 0;
};

// What a service's handlers may ask of the replica that runs them (so they
// can be written before the Service type, which needs them, is complete).
class Host {
public:
    // Proposes `u` and serves everything else (but the client whose handler
    // is running) until this replica has applied it. Its ticket (as
    // StateMachine::apply saw it), or NoRights if the replicas refused it,
    // InvalidArgument, Full, Timeout, Unsupported (no replicated state).
    virtual Result<u32> propose_and_wait(const Update& u, u64 seconds = 10) = 0;
    // The replicated state (null without).
    virtual Replicated* state() = 0;

protected:
    ~Host() = default;
};

// One replica of service `Server` (the generated server of its interface
// over urpc::Endpoint, e.g. idl::kv::KvServer<Kv, urpc::Endpoint>), whose
// handlers are `Impl`.
template <typename Server, typename Impl>
class Service final : public Host {
public:
    static constexpr usize kMaxClients = 16;
    static constexpr u32 kMaxReplicas = 16;

    Service(const char* name, Impl& impl) : name_(name), impl_(impl), domain_(Domain::get()) {}
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    // Gives the service replicated state: every replica applies `machine`'s
    // updates in one agreed order. Call before run().
    void replicate(StateMachine& machine) { machine_ = &machine; }

    // Runs the replica until the monitor asks it to end; the exit code.
    int run() {
        Status s = start();
        if (!s.ok()) {
            user::printf("service %s: cannot start: %s", name_, error_name(s.error()));
            return 1;
        }
        while (!stop_) poll_once();
        if (engine_ != nullptr) {
            const agree::Stats& st = engine_->stats();
            user::printf("service %s: replica %u of %u applied %lu updates (digest %016lx); its own: %lu, %lu retries "
                         "after %lu conflicts, %lu waits",
                         name_, self_, replicas_, state_->applied_count(), state_->digest(), st.committed, st.retries,
                         st.conflicts, st.waits);
        }
        return 0;
    }

    Result<u32> propose_and_wait(const Update& u, u64 seconds = 10) override {
        if (state_ == nullptr) return Error::Unsupported;
        u32 ticket = TRY(state_->propose(u));
        u64 until = rdtsc() + seconds * tsc_hz();
        for (;;) {
            Status s = state_->status(ticket);
            if (s.ok()) return ticket;
            if (s.error() != Error::Empty) return s.error();
            if (rdtsc() > until) return Error::Timeout;
            poll_once();
        }
    }

    Replicated* state() override { return state_; }
    u32 core() const { return domain_.core(); }
    u32 replicas() const { return replicas_; }
    u64 planned() const { return planned_; }

private:
    struct Client {
        Client(urpc::Frame& f, Impl& impl) : ep(urpc::Endpoint::init(f, urpc::Side::B)), server(impl, ep) {}
        urpc::Endpoint ep;
        Server server;
        bool busy = false;  // its handler runs (and waits): do not poll it again
    };

    struct PeerHandler {
        Service* service;
        u8 index;
        void agree_prepare(const idl::svc::Replica::AgreePrepareParams& p) {
            agree::Message m;
            m.kind = agree::Kind::Prepare;
            m.from = index;
            m.coordinator = p.coordinator;
            m.attempt = p.attempt;
            m.seq = p.seq;
            m.stamp = p.stamp;
            m.op.family = agree::kFamilyService;
            m.op.action = p.action;
            m.op.small = p.small;
            m.op.word = p.word;
            m.op.arg[0] = p.arg0;
            m.op.arg[1] = p.arg1;
            m.op.arg[2] = p.arg2;
            service->received(m);
        }
        void agree_step(const idl::svc::Replica::AgreeStepParams& p) {
            agree::Message m;
            m.kind = static_cast<agree::Kind>(p.kind);  // the engine refuses unknown kinds
            m.from = index;
            m.coordinator = p.coordinator;
            m.vote = static_cast<agree::Vote>(p.vote);
            m.attempt = p.attempt;
            m.answers = p.answers;
            m.seq = p.seq;
            m.stamp = p.stamp;
            if (m.kind == agree::Kind::Prepare) return;  // a prepare comes with its update only
            service->received(m);
        }
    };

    struct Peer {
        Peer(urpc::Frame& f, urpc::Side side, Service* s, u8 index)
            : ep(urpc::Endpoint::init(f, side)), client(ep), handler{s, index}, server(handler, ep) {}
        void serve() { idl::route(ep, client, server, stash, stashed); }
        urpc::Endpoint ep;
        idl::svc::ReplicaClient<urpc::Endpoint> client;
        PeerHandler handler;
        idl::svc::ReplicaServer<PeerHandler, urpc::Endpoint> server;
        urpc::Payload stash{};
        bool stashed = false;
    };

    // The engine's network: a queue per replica, in order, sent as room
    // (and the channel) allows; the engine needs per-channel FIFO only.
    class Net final : public agree::Network {
    public:
        explicit Net(Service& s) : s_(s) {}
        void send(u8 to, const agree::Message& m) override {
            if (to >= kMaxReplicas) return;
            Queue& q = queues_[to];
            if (q.count == kQueue) {
                user::printf("service %s: queue to replica %u overflows; a message is lost", s_.name_, to);
                return;
            }
            q.items[(q.head + q.count) % kQueue] = m;
            ++q.count;
            flush(to);
        }
        void flush_all() {
            for (u32 to = 0; to < s_.replicas_; ++to) flush(to);
        }

    private:
        static constexpr u32 kQueue = 64;
        struct Queue {
            agree::Message items[kQueue];
            u32 head = 0, count = 0;
        };
        void flush(u32 to) {
            Peer* p = s_.peers_[to];
            Queue& q = queues_[to];
            while (p != nullptr && q.count != 0 && s_.send_to(*p, q.items[q.head]).ok()) {
                q.head = (q.head + 1) % kQueue;
                --q.count;
            }
        }
        Service& s_;
        Queue queues_[kMaxReplicas];
    };

    static u32 popcount(u64 x) {
        u32 n = 0;
        for (; x != 0; x &= x - 1) ++n;
        return n;
    }
    // Replica numbers: the rank of the core among the planned cores.
    u8 index_of(u32 core) const { return static_cast<u8>(popcount(planned_ & ((u64{1} << core) - 1))); }

    Status start() {
        TRY_STATUS(domain_.open());
        idl::monitor::Local::RegisterNameParams reg;
        TRY_STATUS(reg.name.assign(name_));
        TRY_STATUS(domain_.ask(domain_.monitor().register_name(reg)));
        accept_slot_ = TRY(domain_.slot());
        if (machine_ == nullptr) return {};
        // Every replica the manifest plans must have registered before the
        // replicas can agree on anything.
        idl::monitor::Local::LookupParams look;
        TRY_STATUS(look.name.assign(name_));
        u64 until = rdtsc() + 20 * tsc_hz();
        for (;;) {
            idl::monitor::Local::LookupResults r{};
            TRY_STATUS(domain_.ask(domain_.monitor().lookup(look, &r)));
            planned_ = r.planned;
            if (planned_ == 0) planned_ = u64{1} << core();  // not in the manifest: a replica of its own
            if ((r.cores & planned_) == planned_) break;
            if (rdtsc() > until) return Error::Timeout;
            for (int i = 0; i < 100; ++i) user::yield();
        }
        if (((planned_ >> core()) & 1) == 0) return Error::NotFound;
        replicas_ = popcount(planned_);
        if (replicas_ > kMaxReplicas) return Error::OutOfRange;
        self_ = index_of(core());
        state_ = new (state_storage_) Replicated(agree::kFamilyService, 0, self_, static_cast<u8>(replicas_), *machine_);
        agree::Topology topology = agree::Topology::flat(static_cast<u8>(replicas_));
        engine_ = new (engine_storage_) agree::Engine(self_, topology, net_, *state_);
        // Connect to the replicas on higher-numbered cores; the lower ones connect to us.
        for (u32 c = core() + 1; c < 64; ++c) {
            if (((planned_ >> c) & 1) == 0) continue;
            urpc::Frame* f = TRY(domain_.connect(name_, c, kPortReplica));
            add_peer(*f, urpc::Side::A, index_of(c));
        }
        return {};
    }

    void add_peer(urpc::Frame& f, urpc::Side side, u8 index) {
        if (index >= replicas_ || peers_[index] != nullptr || index == self_) return;
        peers_[index] = new (peer_storage_[index]) Peer(f, side, this, index);
    }

    Status send_to(Peer& p, const agree::Message& m) {
        Status s = m.kind == agree::Kind::Prepare
                       ? p.client.agree_prepare(m.coordinator, m.attempt, m.seq, m.stamp, m.op.action, m.op.small,
                                                m.op.word, m.op.arg[0], m.op.arg[1], m.op.arg[2])
                       : p.client.agree_step(static_cast<u8>(m.kind), m.coordinator, static_cast<u8>(m.vote),
                                             m.attempt, m.answers, m.seq, m.stamp);
        if (s.ok()) (void)p.client.poll(0);
        return s;
    }

    void received(const agree::Message& m) {
        agree::Receipt r = engine_->receive(m);
        if (r != agree::Receipt::Accepted && r != agree::Receipt::Duplicate && r != agree::Receipt::Stale) {
            user::printf("service %s: a %s from replica %u refused: %s", name_, agree::kind_name(m.kind), m.from,
                         agree::receipt_name(r));
        }
    }

    // The monitor, asynchronously: one call at a time, alternating between
    // taking a waiting channel and asking whether to stop.
    void poll_monitor() {
        auto& mon = domain_.monitor();
        (void)mon.poll();
        if (call_open_) {
            Status s = mon.status(call_);
            if (s.error() == Error::Empty) return;
            call_open_ = false;
            if (asked_accept_ && s.ok() && accepted_.found) take_channel();
            if (!asked_accept_ && s.ok() && stop_answer_.stop) stop_ = true;
        }
        u64 now = rdtsc();
        // Quickly while channels arrive, then every 200 us.
        if (now < next_call_) return;
        next_call_ = now + tsc_hz() / 5000;
        asked_accept_ = !asked_accept_;
        auto id = asked_accept_ ? mon.accept_channel(accept_slot_, &accepted_) : mon.service_stop(&stop_answer_);
        if (id.ok()) {
            call_ = *id;
            call_open_ = true;
        }
    }

    void take_channel() {
        next_call_ = 0;  // more may wait
        auto f = domain_.map_channel(accept_slot_);
        auto next = domain_.slot();
        if (!f.ok() || !next.ok()) {
            user::printf("service %s: cannot map a channel: %s", name_, error_name(f.ok() ? next.error() : f.error()));
            return;
        }
        accept_slot_ = *next;
        if (accepted_.port == kPortReplica && state_ != nullptr) {
            add_peer(**f, urpc::Side::B, index_of(accepted_.from_core));
        } else if (client_count_ < kMaxClients) {
            clients_[client_count_] = new (client_storage_[client_count_]) Client(**f, impl_);
            ++client_count_;
        } else {
            user::printf("service %s: a client from core %u refused: %zu clients already", name_, accepted_.from_core,
                         kMaxClients);
        }
    }

    // One round of the event loop: the monitor, the replicas, the clients;
    // the core goes to the next domain when nothing moved.
    void poll_once() {
        poll_monitor();
        u64 before = activity();
        if (engine_ != nullptr) {
            for (u32 i = 0; i < replicas_; ++i) {
                if (peers_[i] != nullptr) peers_[i]->serve();
            }
            state_->pump(*engine_);
            engine_->poll(rdtsc() / (tsc_hz() / 100000 + 1));  // 10 us units, the scale of Engine::backoff
            net_.flush_all();
        }
        for (usize i = 0; i < client_count_; ++i) {
            Client& c = *clients_[i];
            if (c.busy) continue;
            c.busy = true;
            (void)c.server.poll();
            c.busy = false;
        }
        if (activity() == before) user::yield();
    }

    // Something that changes when a message moves.
    u64 activity() const {
        u64 n = 0;
        for (u32 i = 0; i < replicas_; ++i) {
            if (peers_[i] != nullptr) n += peers_[i]->ep.received() + peers_[i]->ep.sent();
        }
        for (usize i = 0; i < client_count_; ++i) n += clients_[i]->ep.received() + clients_[i]->ep.sent();
        return n;
    }

    const char* name_;
    Impl& impl_;
    Domain& domain_;
    StateMachine* machine_ = nullptr;
    u64 planned_ = 0;
    u32 replicas_ = 0;
    u8 self_ = 0;
    Replicated* state_ = nullptr;
    agree::Engine* engine_ = nullptr;
    Net net_{*this};
    alignas(Replicated) u8 state_storage_[sizeof(Replicated)];
    alignas(agree::Engine) u8 engine_storage_[sizeof(agree::Engine)];
    Peer* peers_[kMaxReplicas] = {};
    alignas(Peer) u8 peer_storage_[kMaxReplicas][sizeof(Peer)];
    Client* clients_[kMaxClients] = {};
    alignas(Client) u8 client_storage_[kMaxClients][sizeof(Client)];
    usize client_count_ = 0;

    u32 accept_slot_ = 0;
    bool call_open_ = false, asked_accept_ = false, stop_ = false;
    idl::CallId call_{};
    u64 next_call_ = 0;
    idl::monitor::Local::AcceptChannelResults accepted_{};
    idl::monitor::Local::ServiceStopResults stop_answer_{};
};

}  // namespace mk::svc
