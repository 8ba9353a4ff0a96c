// The boot demo and the BSP's mailbox helpers; see bsp.hpp.
#include "bsp.hpp"
#include "console.hpp"
#include "lapic.hpp"
#include "traps.hpp"
#include "tsc.hpp"
#include "x86.hpp"

namespace mk {
namespace {

constexpr u32 kWarmup = 100;
constexpr u32 kSamples = 1000;

void sort(u64* v, usize n) {
    for (usize i = 1; i < n; ++i) {
        u64 x = v[i];
        usize j = i;
        for (; j > 0 && v[j - 1] > x; --j) v[j] = v[j - 1];
        v[j] = x;
    }
}

}  // namespace

bool send_to_core(BspPeers& peers, u32 n, const boot::Mail& m, u64 timeout_us) {
    u64 deadline = x86::rdtsc() + tsc::us_to_cycles(timeout_us);
    while (!peers.core[n].mailbox.try_send(m)) {
        if (x86::rdtsc() > deadline) return false;
        cpu_relax();
    }
    if (peers.core[n].mailbox.peer_sleeping()) lapic::send_fixed(peers.core[n].apic_id, kVectorWake);
    return true;
}

bool receive_from_core(BspPeers& peers, u32 n, boot::Mail& m, u64 timeout_us) {
    u64 deadline = x86::rdtsc() + tsc::us_to_cycles(timeout_us);
    while (!peers.core[n].mailbox.try_recv(m)) {
        if (x86::rdtsc() > deadline) return false;
        cpu_relax();
    }
    return true;
}

void run_demo(BspPeers& peers) {
    console::log("demo: round trips from core 0 through each boot mailbox (%u samples each)", kSamples);
    static u64 samples[kSamples];  // BSP only
    for (u32 n = 1; n < peers.count; ++n) {
        if (!peers.core[n].ready) continue;
        u32 taken = 0;
        for (u32 i = 0; i < kWarmup + kSamples; ++i) {
            u64 t0 = x86::rdtsc();
            boot::Mail reply{};
            if (!send_to_core(peers, n, {boot::kMailPing, {i}}, 1000000) ||
                !receive_from_core(peers, n, reply, 1000000)) {
                console::log("demo: core %u stopped answering", n);
                break;
            }
            u64 t1 = x86::rdtsc();
            if (reply.kind != boot::kMailPong || reply.arg[0] != i) {
                console::log("demo: core %u answered %lu/%lu to ping %u", n, reply.kind, reply.arg[0], i);
                break;
            }
            if (i >= kWarmup) samples[taken++] = t1 - t0;
        }
        if (taken == 0) continue;
        sort(samples, taken);
        u64 median = samples[taken / 2];
        console::log("demo: core 0 <-> core %u: median round trip %lu cycles (%lu ns), p99 %lu cycles", n, median,
                     tsc::cycles_to_ns(median), samples[taken * 99 / 100]);
    }
}

}  // namespace mk
