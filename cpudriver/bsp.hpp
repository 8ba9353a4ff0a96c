// What the bootstrap processor keeps about the other cores: for each, its
// APIC id, its link (the BSP's ends of Boot and CoreControl on their shared
// URPC channel) and what the core has reported. This table and the links
// live in the BSP's memory; no other core reads them.
#pragma once

#include "links.hpp"
#include "smp.hpp"
#include "tsc.hpp"
#include "x86.hpp"

namespace mk {

struct CoreLink;

// Boot, as the BSP serves it on one core's link.
struct BspReports {
    CoreLink* link;
    Status core_ready(const bootidl::Boot::CoreReadyParams&, bootidl::Boot::CoreReadyResults&);
    Status ping(const bootidl::Boot::PingParams&, bootidl::Boot::PingResults&);
    void shutdown(const bootidl::Boot::ShutdownParams&);
    void core_alive(const bootidl::Boot::CoreAliveParams&);
    void domains_ended(const bootidl::Boot::DomainsEndedParams&);
};

struct CoreLink {
    CoreLink(urpc::Frame& frame, u32 apic_id)
        : ep(urpc::Endpoint::init(frame, urpc::Side::A)), control(ep), handler{this}, reports(handler, ep), apic(apic_id) {}

    void poll() { route(ep, control, reports, stash, stashed); }

    urpc::Endpoint ep;
    bootidl::CoreControlClient<urpc::Endpoint> control;
    BspReports handler;
    bootidl::BootServer<BspReports, urpc::Endpoint> reports;
    urpc::Payload stash{};
    bool stashed = false;
    u32 apic;
    bool alive = false, ready = false, stopped = false, domains_started = false, domains_ended = false;
};

struct BspPeers {
    usize count = 0;                    // every core, the BSP included (entry 0)
    u32 apic[smp::kMaxCores] = {};
    CoreLink* link[smp::kMaxCores] = {};  // null for core 0 and cores that did not start
    PeerSet own;                          // core 0's peer channels
};

BspPeers& bsp_peers();

// Kernel.startCore, from core 0's monitor: brings core n up unless it already
// runs, then has it start its monitor with `channel` (a 4 KiB frame, 0 for
// none) as its channel to core 0's monitor. Ok, or OutOfRange, Busy
// (its monitor was started already), Timeout (it did not come up or answer),
// Unsupported (not on core 0).
Status start_core_for_monitor(u32 n, PhysAddr channel);

// Issues a CoreControl call on core n's link and waits for its end (the reply,
// an error reply, or Timeout), serving core 0's own channels meanwhile.
template <typename Issue>
Status call_core(u32 n, Issue issue, u64 timeout_us = 5000000) {
    CoreLink& l = *bsp_peers().link[n];
    auto id = issue(l.control);
    if (!id.ok()) return id.error();
    wake_if_sleeping(l.ep, l.apic);
    u64 deadline = x86::rdtsc() + tsc::us_to_cycles(timeout_us);
    for (;;) {
        l.poll();
        bsp_peers().own.serve();
        Status s = l.control.status(*id);
        if (s.error() != Error::Empty) return s;
        if (x86::rdtsc() > deadline) {
            l.control.cancel(*id);
            return Error::Timeout;
        }
        cpu_relax();
    }
}

// Polls core n's link until `done(link)` or the timeout; false on timeout.
template <typename Done>
bool wait_for_core(u32 n, Done done, u64 timeout_us) {
    CoreLink& l = *bsp_peers().link[n];
    u64 deadline = x86::rdtsc() + tsc::us_to_cycles(timeout_us);
    while (!done(l)) {
        l.poll();
        bsp_peers().own.serve();
        if (x86::rdtsc() > deadline) return false;
        cpu_relax();
    }
    return true;
}

// The boot demo: CoreControl.ping round trips to every core, and the
// message-of-the-day module if the loader passed one.
void run_demo();
// The all-pairs test (`pairs`) and the URPC benchmark (`bench-urpc`).
void connect_all_pairs();
bool run_all_pairs_exchange(u32 messages);
void run_urpc_benchmark(u32 samples);

}  // namespace mk
