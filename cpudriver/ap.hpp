// An application processor's side of its link to the BSP: the Boot client,
// the CoreControl server and its handler, and its peer channels. Built by the
// core itself in pages of its own share (smp::ApBootParams::link_state).
#pragma once

#include <new>

#include "boot/boot_info.hpp"
#include "links.hpp"
#include "smp.hpp"

namespace mk {

struct ApState;

struct ApControl {
    ApState* ap;
    Status ping(const bootidl::CoreControl::PingParams&, bootidl::CoreControl::PingResults&);
    Status start_domains(const bootidl::CoreControl::StartDomainsParams&, bootidl::CoreControl::StartDomainsResults&);
    void test_fault(const bootidl::CoreControl::TestFaultParams&);
    void stop(const bootidl::CoreControl::StopParams&);
    Status attach_peer(const bootidl::CoreControl::AttachPeerParams&, bootidl::CoreControl::AttachPeerResults&);
    Status exchange(const bootidl::CoreControl::ExchangeParams&, bootidl::CoreControl::ExchangeResults&);
    Status measure_latency(const bootidl::CoreControl::MeasureLatencyParams&,
                           bootidl::CoreControl::MeasureLatencyResults&);
    Status measure_throughput(const bootidl::CoreControl::MeasureThroughputParams&,
                              bootidl::CoreControl::MeasureThroughputResults&);
    Status bench_shared(const bootidl::CoreControl::BenchSharedParams&, bootidl::CoreControl::BenchSharedResults&);
};

struct ApState {
    ApState(urpc::Frame& link, const boot::BootInfo* info, u32 bsp)
        : ep(urpc::Endpoint::init(link, urpc::Side::B)), reports(ep), handler{this}, control(handler, ep),
          boot_info(info), bsp_apic(bsp) {}

    urpc::Endpoint ep;
    bootidl::BootClient<urpc::Endpoint> reports;
    ApControl handler;
    bootidl::CoreControlServer<ApControl, urpc::Endpoint> control;
    urpc::Payload stash{};
    bool stashed = false;
    PeerSet peers;
    const boot::BootInfo* boot_info;
    u32 bsp_apic;
    bool start_requested = false;
    PhysAddr monitor_channel = 0;  // for the monitor's kTaskMonitorLink
    bool stop_requested = false;
    u64 fault_requested = 0;
    bool domains_started = false;
    bool reported_ended = false;
};

inline constexpr usize kApStatePages = (sizeof(ApState) + kPageSize - 1) / kPageSize;

}  // namespace mk
