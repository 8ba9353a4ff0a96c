// The generated IDL stubs over the same channel: Boot.ping(seq, 8 bytes)
// from a BootClient on the client thread to a BootServer on the server
// thread, one request line and one reply line, both checked. Against
// UrpcPingPong this is the cost of marshalling, validation, call tracking
// and dispatch on top of the raw slots.
#pragma once

#include "boot.urpc.hpp"
#include "pingpong.hpp"

namespace bench {

namespace boot_idl = mk::idl::boot;

// The server's implementation of Boot: only ping is used.
struct PingServer {
    u64 handled = 0;
    mk::Status core_ready(const boot_idl::Boot::CoreReadyParams&, boot_idl::Boot::CoreReadyResults&) {
        return mk::Error::InvalidArgument;
    }
    mk::Status ping(const boot_idl::Boot::PingParams& p, boot_idl::Boot::PingResults& r) {
        u64 sum = 0;
        for (mk::u8 x : p.payload.view()) sum += x;
        r.seq = p.seq;
        r.checksum = sum;
        ++handled;
        return {};
    }
    void shutdown(const boot_idl::Boot::ShutdownParams&) {}
    void core_alive(const boot_idl::Boot::CoreAliveParams&) {}
    void domains_ended(const boot_idl::Boot::DomainsEndedParams&) {}
};

class StubPingPong {
public:
    static constexpr mk::usize kBytes = 8;

    explicit StubPingPong(const Ctx& c) : client_(c, frame_->ep_a()), server_(c, frame_->ep_b()) {}

    void ping(u64 i) {
        mk::u8 buf[kBytes];
        u64 sum = 0;
        for (mk::usize k = 0; k < kBytes; ++k) {
            buf[k] = static_cast<mk::u8>(i + k);
            sum += buf[k];
        }
        boot_idl::Boot::PingResults r{};
        mk::Result<mk::idl::CallId> id = client_.stub.ping(i, mk::Bytes(buf, kBytes), &r);
        if (!id.ok()) die("stub call failed to start");
        client_.spin.reset();
        mk::Status s;
        while (!(s = client_.stub.status(*id)).ok()) {
            if (s.error() != mk::Error::Empty) die("stub call failed");
            (void)client_.stub.poll();
            mk::cpu_relax();
            client_.spin.poll();
        }
        if (r.seq != i || r.checksum != sum) die("wrong reply from the stub server");
    }

    void pong(u64 i) {
        server_.spin.reset();
        while (server_.impl.handled <= i || server_.stub.replying()) {
            (void)server_.stub.poll();
            mk::cpu_relax();
            server_.spin.poll();
        }
    }

    // Lines moved per direction: 1 per call if the request and reply each
    // fit one slot, as intended.
    u64 request_lines() const { return server_.stub.stats().frames; }
    u64 reply_lines() const { return client_.stub.stats().frames; }

private:
    struct Frame {
        Frame() : f(new_frame()), a(mk::urpc::Endpoint::init(*f, mk::urpc::Side::A)),
                  b(mk::urpc::Endpoint::init(*f, mk::urpc::Side::B)) {}
        mk::urpc::Endpoint& ep_a() { return a; }
        mk::urpc::Endpoint& ep_b() { return b; }
        std::unique_ptr<mk::urpc::Frame> f;
        alignas(128) mk::urpc::Endpoint a;
        alignas(128) mk::urpc::Endpoint b;
    };
    struct alignas(128) ClientSide {
        ClientSide(const Ctx& c, mk::urpc::Endpoint& ep) : stub(ep), spin(c.tsc_hz, c.timeout_s, "stub ping") {}
        boot_idl::BootClient<mk::urpc::Endpoint, 1> stub;
        SpinBudget spin;
    };
    struct alignas(128) ServerSide {
        ServerSide(const Ctx& c, mk::urpc::Endpoint& ep) : stub(impl, ep), spin(c.tsc_hz, c.timeout_s, "stub pong") {}
        PingServer impl;
        boot_idl::BootServer<PingServer, mk::urpc::Endpoint> stub;
        SpinBudget spin;
    };
    std::unique_ptr<Frame> frame_ = std::make_unique<Frame>();
    ClientSide client_;
    ServerSide server_;
};

// Three mechanisms taking turns sample by sample on one pair of threads, so
// that all meet exactly the same conditions (the machine is shared, and its
// load moves in and out within milliseconds): the raw line, the channel and
// the generated stubs.
template <typename M1, typename M2, typename M3>
void measure_interleaved3(const Ctx& c, u64 warmup, u64 samples, std::vector<double>& v1,
                          std::vector<double>& v2, std::vector<double>& v3) {
    M1 m1(c);
    M2 m2(c);
    M3 m3(c);
    std::thread server([&] {
        pin_peer(c);
        for (u64 i = 0; i < warmup + samples; ++i) {
            m1.pong(i);
            m2.pong(i);
            m3.pong(i);
        }
    });
    for (u64 i = 0; i < warmup + samples; ++i) {
        const u64 t0 = tsc();
        m1.ping(i);
        const u64 t1 = tsc();
        m2.ping(i);
        const u64 t2 = tsc();
        m3.ping(i);
        const u64 t3 = tsc();
        if (i < warmup) continue;
        v1.push_back(static_cast<double>(t1 - t0) / 2);
        v2.push_back(static_cast<double>(t2 - t1) / 2);
        v3.push_back(static_cast<double>(t3 - t2) / 2);
    }
    server.join();
    if (m3.request_lines() != warmup + samples || m3.reply_lines() != warmup + samples)
        die("stub calls did not take one line each way");
}

}  // namespace bench
