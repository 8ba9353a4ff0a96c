// An application processor's life: out of the trampoline it tells the BSP it
// runs (Boot.coreAlive), becomes an independent CPU driver, reports ready
// (Boot.coreReady), and then serves CoreControl on its link to the BSP and
// its peer channels: from its idle loop, and from timer ticks while its
// domains run.
#include "ap.hpp"

#include "bench_shared.hpp"
#include "console.hpp"
#include "core_setup.hpp"
#include "domains.hpp"
#include "lapic.hpp"
#include "paging.hpp"
#include "test_faults.hpp"
#include "tsc.hpp"
#include "x86.hpp"

namespace mk {
namespace {

ApState& state() { return *this_core().ap_state; }

[[noreturn]] void run_domains();

// Serves the BSP link and the peer channels once, then acts on what the
// requests asked for (after their replies are on their way).
void poll_links() {
    ApState& s = state();
    route(s.ep, s.reports, s.control, s.stash, s.stashed);
    s.peers.serve();
    if (s.fault_requested != 0) {
        u64 kind = s.fault_requested;
        s.fault_requested = 0;
        trigger_test_fault(static_cast<TestFault>(kind));
    }
    if (s.stop_requested) {
        (void)s.reports.shutdown();
        (void)s.reports.poll(0);
        wake_if_sleeping(s.ep, s.bsp_apic);
        x86::halt_forever();
    }
    if (s.start_requested && !s.domains_started) run_domains();
}

// The idle loop's hook: serve, report once that all domains ended, and
// announce sleep on every channel so senders know to send an IPI.
void idle_hook() {
    ApState& s = state();
    s.ep.set_waiting(false);
    s.peers.set_waiting(false);
    // Poll for a short while before halting: a conversation in progress
    // then needs no IPI per message.
    u64 start = x86::rdtsc(), spin = tsc::us_to_cycles(50);
    do {
        poll_links();
        cpu_relax();
    } while (x86::rdtsc() - start < spin);
    if (s.domains_started && this_core().scheduler.live() == 0 && !s.reported_ended) {
        s.reported_ended = true;
        (void)s.reports.domains_ended(this_core().number);
        wake_if_sleeping(s.ep, s.bsp_apic);
    }
    s.ep.set_waiting(true);
    s.peers.set_waiting(true);
    if (s.ep.has_message() || s.peers.has_message()) {  // arrived while announcing: go round again
        s.ep.set_waiting(false);
        s.peers.set_waiting(false);
    }
}

[[noreturn]] void run_domains() {
    ApState& s = state();
    s.domains_started = true;
    start_core_domains(*s.boot_info, s.monitor_channel);
    auto idle_stack = this_core().memory.alloc(2);
    if (!idle_stack.ok()) panic("no memory for the idle stack");
    this_core().poll_mail = poll_links;
    this_core().scheduler.start(reinterpret_cast<u64>(paging::phys_to_virt(*idle_stack)) + 2 * kPageSize, idle_hook);
}

}  // namespace

// CoreControl, as this core serves it.
Status ApControl::ping(const bootidl::CoreControl::PingParams& p, bootidl::CoreControl::PingResults& r) {
    r.seq = p.seq;
    r.checksum = 0;
    for (u8 b : p.payload.view()) r.checksum += b;
    return {};
}
Status ApControl::start_domains(const bootidl::CoreControl::StartDomainsParams& p,
                                bootidl::CoreControl::StartDomainsResults&) {
    if (p.monitor_channel % kPageSize != 0 || p.monitor_channel >= DIRECT_MAP_SIZE) return Error::InvalidArgument;
    if (ap->start_requested) return Error::Busy;
    ap->start_requested = true;
    ap->monitor_channel = p.monitor_channel;
    return {};
}
void ApControl::test_fault(const bootidl::CoreControl::TestFaultParams& p) { ap->fault_requested = p.kind; }
void ApControl::stop(const bootidl::CoreControl::StopParams&) { ap->stop_requested = true; }
Status ApControl::attach_peer(const bootidl::CoreControl::AttachPeerParams& p,
                              bootidl::CoreControl::AttachPeerResults&) {
    if (p.frame_phys % kPageSize != 0 || p.frame_phys >= DIRECT_MAP_SIZE) return Error::InvalidArgument;
    return ap->peers.attach(p.peer, p.peer_apic, static_cast<urpc::Frame*>(paging::phys_to_virt(p.frame_phys)), p.side_a);
}
Status ApControl::exchange(const bootidl::CoreControl::ExchangeParams& p, bootidl::CoreControl::ExchangeResults& r) {
    r = ap->peers.exchange(this_core().number, p.messages);
    return {};
}
Status ApControl::measure_latency(const bootidl::CoreControl::MeasureLatencyParams& p,
                                  bootidl::CoreControl::MeasureLatencyResults& r) {
    r = TRY(ap->peers.measure_latency(p.peer, p.samples));
    return {};
}
Status ApControl::measure_throughput(const bootidl::CoreControl::MeasureThroughputParams& p,
                                     bootidl::CoreControl::MeasureThroughputResults& r) {
    r.cycles = TRY(ap->peers.measure_throughput(p.peer, p.messages));
    return {};
}
Status ApControl::bench_shared(const bootidl::CoreControl::BenchSharedParams& p,
                               bootidl::CoreControl::BenchSharedResults& r) {
    return serve_bench_shared(p, r);
}

extern "C" [[noreturn]] void ap_main(smp::ApBootParams* params) {
    // The link state lives in pages of this core's own share that the BSP set
    // aside; the BSP reset the channel frame and never touches this state.
    auto* s = new (params->link_state) ApState(*params->link, params->boot_info, params->bsp_apic);
    (void)s->reports.core_alive(params->setup.number);

    Core& core = setup_core(params->setup, params->memory);
    core.ap_state = s;
    if (lapic::id() != core.apic_id) console::log("warning: APIC id %u, MADT said %u", lapic::id(), core.apic_id);
    x86::sti();
    (void)s->reports.core_ready(core.number, core.apic_id, x86::rdtsc());
    wake_if_sleeping(s->ep, s->bsp_apic);

    // Until domains start, this core only serves its channels, halting between messages.
    for (;;) {
        x86::cli();
        idle_hook();
        x86::sti_hlt();
    }
}

}  // namespace mk
