// The channels of the CPU drivers, generated from idl/boot.capnp over
// lib/urpc: one link between the BSP and every other core (Boot from the core
// to the BSP, CoreControl from the BSP to the core, on one channel), and,
// for the all-pairs test and the benchmarks, raw channels between pairs of cores.
//
// One channel carries requests of one interface and replies of the other, so
// each side reads the channel itself and hands every payload to its client
// (replies) or its server (requests): see idl::route().
#pragma once

#include "boot.urpc.hpp"
#include "idl/route.hpp"
#include "urpc/endpoint.hpp"

namespace mk {

namespace bootidl = idl::boot;

// Wakes the peer of `ep` with an IPI if it announced that it is halting.
void wake_if_sleeping(urpc::Endpoint& ep, u32 peer_apic);

using idl::route;  // lib/idl/route.hpp

// Raw channels to other cores, for the all-pairs test and the benchmarks.
// Each core owns its PeerSet; every channel has one end on each of two cores.
class PeerSet {
public:
    static constexpr usize kMax = 64;

    Status attach(u32 peer, u32 peer_apic, urpc::Frame* frame, bool side_a);
    // Echoes and counts what peers send; called from the idle loop and while waiting.
    void serve();
    bool has_message() const;
    void set_waiting(bool waiting);

    bootidl::CoreControl::ExchangeResults exchange(u32 self, u32 messages);
    Result<bootidl::CoreControl::MeasureLatencyResults> measure_latency(u32 peer, u32 samples);
    Result<u64> measure_throughput(u32 peer, u32 messages);

private:
    struct Peer {
        u32 core;
        u32 apic;
        urpc::Endpoint ep;
        // Counted whenever data arrives, also before this core's own exchange
        // starts (a faster peer may begin first); an exchange reports the
        // growth since the previous one.
        u64 exchange_received;
        u64 exchange_sum;
        u64 exchange_target;
        u64 reported_received;
        u64 reported_sum;
        u64 stream_received;
    };
    Peer* find(u32 core);
    Status send(Peer& p, const urpc::Payload& m);
    void handle(Peer& p, const urpc::Payload& m);

    Peer peers_[kMax];
    usize count_ = 0;
    u64 echo_seen_ = 0, echo_value_ = 0;  // the reply a latency measurement waits for
    bool stream_acked_ = false;
    u64 cycles_[4096];  // latency samples
};

}  // namespace mk
