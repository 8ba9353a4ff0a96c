// The boot demo, the all-pairs exchange and the URPC benchmark, all driven by
// core 0 over the generated CoreControl interface; see bsp.hpp.
#include "bsp.hpp"
#include "base/sort.hpp"
#include "console.hpp"
#include "core.hpp"
#include "paging.hpp"

namespace mk {
namespace {

constexpr u32 kWarmup = 50;
constexpr u32 kSamples = 500;

bool started(u32 n) { return n != 0 && bsp_peers().link[n] != nullptr && bsp_peers().link[n]->ready; }

}  // namespace

// Boot, as served by the BSP.
Status BspReports::core_ready(const bootidl::Boot::CoreReadyParams&, bootidl::Boot::CoreReadyResults&) {
    link->ready = true;
    return {};
}
Status BspReports::ping(const bootidl::Boot::PingParams& p, bootidl::Boot::PingResults& r) {
    r.seq = p.seq;
    r.checksum = 0;
    for (u8 b : p.payload.view()) r.checksum += b;
    return {};
}
void BspReports::shutdown(const bootidl::Boot::ShutdownParams&) { link->stopped = true; }
void BspReports::core_alive(const bootidl::Boot::CoreAliveParams&) { link->alive = true; }
void BspReports::domains_ended(const bootidl::Boot::DomainsEndedParams&) { link->domains_ended = true; }

void run_demo() {
    BspPeers& peers = bsp_peers();
    console::log("demo: CoreControl.ping round trips from core 0 to each core (%u samples each)", kSamples);
    static u64 samples[kSamples];  // core 0 only
    for (u32 n = 1; n < peers.count; ++n) {
        if (!started(n)) continue;
        u32 taken = 0;
        const u8 payload[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        for (u32 i = 0; i < kWarmup + kSamples; ++i) {
            bootidl::CoreControl::PingResults r{};
            u64 t0 = x86::rdtsc();
            Status s = call_core(n, [&](auto& c) { return c.ping(i, Bytes(payload, sizeof payload), &r); }, 1000000);
            u64 t1 = x86::rdtsc();
            if (!s.ok() || r.seq != i || r.checksum != 36) {
                console::log("demo: core %u: ping %u failed: %s", n, i, error_name(s.error()));
                break;
            }
            if (i >= kWarmup) samples[taken++] = t1 - t0;
        }
        if (taken == 0) continue;
        sort_in_place(samples, taken);
        u64 median = samples[taken / 2];
        console::log("demo: core 0 <-> core %u: median round trip %lu cycles (%lu ns), p99 %lu cycles", n, median,
                     tsc::cycles_to_ns(median), samples[taken * 99 / 100]);
    }
}

void connect_all_pairs() {
    BspPeers& peers = bsp_peers();
    for (u32 i = 0; i < peers.count; ++i) {
        for (u32 j = i + 1; j < peers.count; ++j) {
            if ((i != 0 && !started(i)) || !started(j)) continue;
            auto page = this_core().memory.alloc();
            if (!page.ok()) {
                console::log("pairs: no memory for channel %u-%u", i, j);
                return;
            }
            auto* frame = static_cast<urpc::Frame*>(paging::phys_to_virt(*page));
            frame->reset();
            auto attach = [&](u32 core, u32 peer, bool side_a) -> Status {
                if (core == 0) return peers.own.attach(peer, peers.apic[peer], frame, side_a);
                return call_core(core, [&](auto& c) { return c.attach_peer(peer, peers.apic[peer], *page, side_a); });
            };
            Status a = attach(i, j, true), b = attach(j, i, false);
            if (!a.ok() || !b.ok()) console::log("pairs: cannot connect %u and %u", i, j);
        }
    }
}

bool run_all_pairs_exchange(u32 messages) {
    BspPeers& peers = bsp_peers();
    idl::CallId ids[smp::kMaxCores] = {};
    bootidl::CoreControl::ExchangeResults results[smp::kMaxCores] = {};
    u32 cores = 1;
    for (u32 n = 1; n < peers.count; ++n) {
        if (!started(n)) continue;
        auto id = peers.link[n]->control.exchange(messages, &results[n]);
        if (!id.ok()) return false;
        ids[n] = *id;
        wake_if_sleeping(peers.link[n]->ep, peers.link[n]->apic);
        ++cores;
    }
    results[0] = peers.own.exchange(0, messages);
    u64 sent = results[0].sent, received = results[0].received, sent_sum = results[0].sent_sum,
        received_sum = results[0].received_sum;
    bool ok = true;
    for (u32 n = 1; n < peers.count; ++n) {
        if (!started(n)) continue;
        Status s = Error::Empty;
        bool done = wait_for_core(n, [&](CoreLink& l) {
            s = l.control.status(ids[n]);
            return s.error() != Error::Empty;
        }, 20000000);
        if (!done || !s.ok()) {
            console::log("pairs: core %u did not finish its exchange", n);
            ok = false;
            continue;
        }
        sent += results[n].sent;
        received += results[n].received;
        sent_sum += results[n].sent_sum;
        received_sum += results[n].received_sum;
    }
    u64 expected = u64{cores} * (cores - 1) * messages;
    ok = ok && sent == expected && received == expected && sent_sum == received_sum;
    console::log("PAIRS cores=%u messages_per_direction=%u sent=%lu received=%lu checksums=%s result=%s", cores, messages,
                 sent, received, sent_sum == received_sum ? "match" : "MISMATCH", ok ? "ok" : "FAILED");
    return ok;
}

void run_urpc_benchmark(u32 samples) {
    BspPeers& peers = bsp_peers();
    u32 cores = static_cast<u32>(peers.count);
    console::log("bench-urpc: one-way latency (half round trip) for every ordered pair, %u samples each", samples);
    for (u32 src = 0; src < cores; ++src) {
        for (u32 dst = 0; dst < cores; ++dst) {
            if (src == dst || (src != 0 && !started(src)) || (dst != 0 && !started(dst))) continue;
            bootidl::CoreControl::MeasureLatencyResults r{};
            Status s;
            if (src == 0) {
                auto got = peers.own.measure_latency(dst, samples);
                s = got.ok() ? Status{} : Status{got.error()};
                if (got.ok()) r = *got;
            } else {
                s = call_core(src, [&](auto& c) { return c.measure_latency(dst, samples, &r); }, 60000000);
            }
            if (!s.ok()) {
                console::log("bench-urpc: %u -> %u failed: %s", src, dst, error_name(s.error()));
                continue;
            }
            console::log("CSV urpc,one_way_latency,mttcg,%u,%u,%u,ns,%lu,%lu,%u", cores, src, dst,
                         tsc::cycles_to_ns(r.median_cycles) / 2 + 1, tsc::cycles_to_ns(r.p99_cycles) / 2 + 1, samples);
        }
    }
    constexpr u32 kStream = 20000;
    for (u32 dst = 1; dst < cores; ++dst) {
        if (!started(dst)) continue;
        auto cycles = peers.own.measure_throughput(dst, kStream);
        if (!cycles.ok() || *cycles == 0) continue;
        u64 per_second = u64{kStream} * tsc::hz() / *cycles;
        console::log("CSV urpc,throughput,mttcg,%u,0,%u,msgs_per_s,%lu,%lu,%u", cores, dst, per_second, per_second, kStream);
    }
    console::log("BENCH urpc done");
}

}  // namespace mk
