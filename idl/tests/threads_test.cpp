// The Boot stubs over a real URPC channel (lib/urpc) between two threads,
// as between the BSP and an application processor: ready report, pings of
// every payload size (1 to 6 fragments), pipelined calls, and shutdown.
#include <catch2/catch.hpp>

#include <memory>
#include <thread>

#include "boot.urpc.hpp"
#include "urpc/endpoint.hpp"

namespace b = mk::idl::boot;
using b::Boot;
using mk::Status;

namespace {

mk::u64 checksum(mk::Bytes bytes) {
    mk::u64 sum = 0;
    for (mk::u8 x : bytes) sum += x;
    return sum;
}

// The BSP side. Runs on the server thread only.
struct Bsp {
    int ready = 0;
    mk::u32 apic_of_core1 = 0;
    bool stop = false;

    Status core_ready(const Boot::CoreReadyParams& p, Boot::CoreReadyResults&) {
        ++ready;
        if (p.core_id == 1) apic_of_core1 = p.apic_id;
        return {};
    }
    Status ping(const Boot::PingParams& p, Boot::PingResults& r) {
        r.seq = p.seq;
        r.checksum = checksum(p.payload.view());
        return {};
    }
    void shutdown(const Boot::ShutdownParams&) { stop = true; }
    void core_alive(const Boot::CoreAliveParams&) {}
    void domains_ended(const Boot::DomainsEndedParams&) {}
};

void fill(mk::u8* buf, mk::usize n, mk::u64 seq) {
    for (mk::usize i = 0; i < n; ++i) buf[i] = static_cast<mk::u8>(seq * 13 + i);
}

}  // namespace

TEST_CASE("Boot over a lib/urpc channel between two threads", "[idl]") {
    auto frame = std::make_unique<mk::urpc::Frame>();
    frame->reset();
    mk::urpc::Endpoint bsp_end = mk::urpc::Endpoint::init(*frame, mk::urpc::Side::A);
    mk::urpc::Endpoint ap_end = mk::urpc::Endpoint::init(*frame, mk::urpc::Side::B);

    Bsp bsp;
    std::thread server_thread([&] {
        b::BootServer<Bsp, mk::urpc::Endpoint> server(bsp, bsp_end);
        while (!bsp.stop) {
            (void)server.poll();
            std::this_thread::yield();
        }
    });

    b::BootClient<mk::urpc::Endpoint, 4> ap(ap_end);
    auto ready = ap.core_ready(1, 0x21, 123456789);
    REQUIRE(ready.ok());
    CHECK(ap.wait(*ready).ok());

    // One call at a time, every payload size from 0 to 256 bytes.
    mk::u8 buf[256];
    for (mk::u64 seq = 0; seq <= 256; ++seq) {
        fill(buf, seq, seq);
        Boot::PingResults r;
        auto id = ap.ping(seq, mk::Bytes(buf, seq), &r);
        REQUIRE(id.ok());
        REQUIRE(ap.wait(*id).ok());
        CHECK(r.seq == seq);
        CHECK(r.checksum == checksum(mk::Bytes(buf, seq)));
    }

    // Four calls in flight at once.
    for (mk::u64 round = 0; round < 50; ++round) {
        Boot::PingResults r[4];
        mk::idl::CallId ids[4];
        for (mk::u64 i = 0; i < 4; ++i) {
            mk::u64 seq = 1000 + round * 4 + i;
            mk::usize n = static_cast<mk::usize>((seq * 37) % 257);
            fill(buf, n, seq);
            for (;;) {
                mk::Result<mk::idl::CallId> id = ap.ping(seq, mk::Bytes(buf, n), &r[i]);
                if (id.ok()) {
                    ids[i] = *id;
                    break;
                }
                REQUIRE(id.error() == mk::Error::Full);  // the previous request is still leaving
                (void)ap.poll();
                std::this_thread::yield();
            }
        }
        for (mk::u64 i = 0; i < 4; ++i) {
            REQUIRE(ap.wait(ids[i]).ok());
            mk::u64 seq = 1000 + round * 4 + i;
            mk::usize n = static_cast<mk::usize>((seq * 37) % 257);
            fill(buf, n, seq);
            CHECK(r[i].seq == seq);
            CHECK(r[i].checksum == checksum(mk::Bytes(buf, n)));
        }
    }

    REQUIRE(ap.shutdown().ok());
    while (ap.sending()) (void)ap.poll();
    server_thread.join();
    CHECK(bsp.ready == 1);
    CHECK(bsp.apic_of_core1 == 0x21);
    CHECK(ap.stats().rejected == 0);
}
