// The monitor: the first user domain on every core, holding its core's
// Kernel capability and (but for the CPU driver's reserve) all of its RAM.
//
// Core 0's monitor brings the system up (docs/monitor.md):
//   1. For every other core it makes a 4 KiB Frame from its RAM and invokes
//      Kernel.startCore: the CPU driver boots that core unless it runs, and
//      its monitor starts with the frame as its control channel.
//   2. It checks its Kernel and IRQ capabilities.
//   3. It builds the mesh: a channel for every pair of monitors, its frame
//      sent to the ends as a capability (Monitor.attachPeer). A capability
//      crosses cores only through monitors: the sender marks its copy as
//      having a remote copy (Kernel.markRemote), the receiver makes its own
//      from the description (Kernel.capCreate), marked the same way.
//   4. Every monitor pings every peer (Monitor.checkMesh); the MESH line.
//      Then every monitor starts its programs (Monitor.startPrograms).
//   5. Once every core's programs have ended (MonitorPeer.programsEnded),
//      it tells the monitors to finish (Monitor.finish) and ends.
// The other monitors check their Kernel capability and serve (mesh, control
// channel, their programs) until they are told to finish.
#include <new>

#include "boot/cmdline.hpp"
#include "monitor.hpp"
#include "user/syscall.hpp"

namespace mk::monitor {

Self g_self;

Result<urpc::Frame*> map_channel(u32 frame_cap, u64 va) {
    TRY_STATUS(g_self.space->map_frame(va, frame_cap, abi::kMapWrite));
    return reinterpret_cast<urpc::Frame*>(va);
}

namespace {

using namespace mk::user;

constexpr u32 kMeshRounds = 10;

// Serves until no agreement is running or waiting to be sent here.
Status wait_until_quiet() {
    u64 until = deadline();
    while (!agreement_quiet()) {
        if (rdtsc() > until) {
            dump_agreement("not quiet");
            return Error::Timeout;
        }
        serve_all();
        idle_wait();
    }
    return {};
}

// What became of the memory this monitor handed out and of the capability
// operations it took part in (Monitor.collectCaps), once all is quiet.
midl::Monitor::CollectCapsResults caps_state() {
    PoolState p = pool_state(program_tag("capstorm"));
    CapCounters c = cap_counters();
    midl::Monitor::CollectCapsResults r{};
    r.outstanding = p.outstanding;
    r.storm_outstanding = p.storm_outstanding;
    r.given_back = p.given_back;
    r.reused = p.reused;
    r.deletes_agreed = c.deletes_agreed;
    r.deletes_local = c.deletes_local;
    r.revokes = c.revokes;
    r.survivors = c.survivors;
    r.refused_give_backs = c.refused_give_backs;
    r.held_free = p.held_free;
    r.offers_waiting = offers_waiting();
    r.not_now = c.not_now;
    return r;
}

// ---- Cores 1..n-1: Monitor, as served on the control channel ----

struct MonitorService {
    bool finished = false;
    bool programs_started = false;  // only then can "all my programs ended" be true

    Status attach_peer(const midl::Monitor::AttachPeerParams& p, midl::Monitor::AttachPeerResults&) {
        if (p.cap_type != u32(CapType::Frame) || p.bytes != kPageSize) return Error::WrongType;
        // The capability arrives as a description; this core's CPU driver
        // makes the local copy, marked as having a copy elsewhere.
        u32 slot = TRY(g_self.slots->next());
        Error e = invoke(kKernel, abi::kKernelCapCreate, slot, p.cap_type | (u64{p.rights} << 8), p.base, p.bytes).error;
        if (e != Error::Ok) return e;
        abi::CapIdentity id{};
        if (identify(slot, id) != Error::Ok || id.base != p.base || (id.remote & 1) == 0) return Error::BadMessage;
        return monitor::attach_peer(p.peer, p.side_a, slot);
    }

    Status check_mesh(const midl::Monitor::CheckMeshParams& p, midl::Monitor::CheckMeshResults& r) {
        announce_pool();  // before our pings: every peer has our pool by the time the mesh is checked
        r = {};
        r.peers = static_cast<u32>(peer_count());
        ping_peers(p.rounds, r.round_trips, r.failed);
        return {};
    }

    void finish(const midl::Monitor::FinishParams&) { finished = true; }

    Status bench_agree(const midl::Monitor::BenchAgreeParams& p, midl::Monitor::BenchAgreeResults& r) {
        return bench_agree_here(p.count, p.what, r.cycles, r.done);
    }

    Status collect_state(const midl::Monitor::CollectStateParams&, midl::Monitor::CollectStateResults& r) {
        TRY_STATUS(wait_until_quiet());
        MemoryState s = memory_state();
        r = {s.digest, s.owned, s.held, s.moved_in, s.moved_out, s.consistent, s.retries, s.refused};
        return {};
    }
    Status collect_caps(const midl::Monitor::CollectCapsParams&, midl::Monitor::CollectCapsResults& r) {
        TRY_STATUS(wait_until_quiet());
        r = caps_state();
        return {};
    }
    void start_programs(const midl::Monitor::StartProgramsParams&) {
        if (programs_started) return;
        programs_started = true;
        monitor::start_programs();
    }
};

MonitorService g_service;
midl::MonitorServer<MonitorService, urpc::Endpoint>* g_control_server = nullptr;
bool g_in_control = false;  // a handler runs: do not poll the control channel again inside it

int run_other_monitor() {
    abi::CapIdentity id{};
    if (identify(kLinkFrame, id) != Error::Ok || (id.remote & 1) == 0) {
        printf("no control channel to core 0's monitor (or it is not marked as shared across cores)");
        return 1;
    }
    auto f = map_channel(kLinkFrame, kControlVa);
    if (!f.ok()) {
        printf("cannot map the control channel: %s", error_name(f.error()));
        return 1;
    }
    urpc::Endpoint ep = urpc::Endpoint::init(**f, urpc::Side::B);
    watch_channel(ep, 0);
    midl::MonitorServer<MonitorService, urpc::Endpoint> server(g_service, ep);
    g_control_server = &server;
    u32 refusals_failed = check_kernel_refusals();
    bool reported = false;
    while (!g_service.finished) {
        serve_all();
        u32 failed = 0;
        if (!reported && g_service.programs_started && programs_ended(failed) &&
            report_programs_ended(program_count(), failed).ok()) {
            reported = true;
        }
        idle_wait();
    }
    stop_services();
    // Answer the last requests (the finish came after them) before ending.
    for (int i = 0; i < 100 && server.replying(); ++i) (void)server.poll();
    return refusals_failed == 0 ? 0 : 1;
}

// ---- Core 0 ----

// Step 1: every other core, with a control channel of its own.
u32 start_cores() {
    u32 started = 0;
    for (u32 n = 1; n < g_self.cores; ++n) {
        auto frame_cap = g_self.ram->make(u32(CapType::Frame), 12);
        auto f = frame_cap.ok() ? map_channel(*frame_cap, kControlVa + u64{n} * kPageSize)
                                : Result<urpc::Frame*>(frame_cap.error());
        if (!f.ok()) {
            printf("no channel frame for core %u: %s", n, error_name(f.error()));
            continue;
        }
        (*f)->reset();
        Error e = invoke(kKernel, abi::kKernelStartCore, n, *frame_cap).error;
        if (e != Error::Ok) {
            printf("core %u did not start: %s", n, error_name(e));
            continue;
        }
        alignas(Control) static u8 storage[kMaxCores][sizeof(Control)];
        g_control[n] = new (storage[n]) Control(**f);
        watch_channel(g_control[n]->ep, n);
        ++started;
    }
    return started;
}

// Sends one mesh frame to core `to` as side A or B of its channel to `peer`.
Status send_frame(u32 to, u32 peer, bool side_a, const abi::CapIdentity& id) {
    auto rights = static_cast<u32>(kRead | kWrite);
    auto call = g_control[to]->client.attach_peer(peer, side_a, u32(id.type), rights, id.base, id.bytes);
    if (!call.ok()) return call.error();
    return wait_control(to, *call);
}

// Step 3: a channel between every two started monitors. Core 0 keeps its
// own end of its channels; the others get theirs as capabilities. Returns
// the number of capabilities sent.
Result<u32> build_mesh() {
    u32 sent = 0;
    for (u32 j = 0; j < g_self.cores; ++j) {
        for (u32 k = j + 1; k < g_self.cores; ++k) {
            if ((j != 0 && g_control[j] == nullptr) || g_control[k] == nullptr) continue;
            u32 frame_cap = TRY(g_self.ram->make(u32(CapType::Frame), 12));  // zeroed: a fresh channel
            if (Error e = invoke(kKernel, abi::kKernelMarkRemote, frame_cap).error; e != Error::Ok) return e;
            abi::CapIdentity id{};
            if (Error e = identify(frame_cap, id); e != Error::Ok) return e;
            if ((id.remote & 1) == 0) return Error::BadMessage;
            if (j == 0) {
                TRY_STATUS(attach_peer(k, true, frame_cap));
            } else {
                TRY_STATUS(send_frame(j, k, true, id));
                ++sent;
            }
            TRY_STATUS(send_frame(k, j, false, id));
            ++sent;
        }
    }
    return sent;
}

// Step 4: every monitor pings every peer at once; returns the failures.
u32 check_mesh(u32 started, u64& round_trips) {
    u32 failed = 0;
    midl::Monitor::CheckMeshResults results[kMaxCores] = {};
    idl::CallId ids[kMaxCores] = {};
    bool checking[kMaxCores] = {};
    for (u32 n = 1; n < g_self.cores; ++n) {
        if (g_control[n] == nullptr) continue;
        auto id = g_control[n]->client.check_mesh(kMeshRounds, &results[n]);
        if (!id.ok()) {
            printf("checkMesh to core %u: %s", n, error_name(id.error()));
            ++failed;
            continue;
        }
        ids[n] = *id;
        checking[n] = true;
    }
    announce_pool();
    ping_peers(kMeshRounds, round_trips, failed);
    if (peer_count() != started) ++failed;
    for (u32 n = 1; n < g_self.cores; ++n) {
        if (!checking[n]) continue;
        Status s = wait_control(n, ids[n]);
        if (!s.ok()) {
            printf("core %u did not check its mesh channels: %s", n, error_name(s.error()));
            ++failed;
            continue;
        }
        round_trips += results[n].round_trips;
        failed += results[n].failed;
        if (results[n].peers != started) ++failed;  // a channel to every other started monitor
    }
    return failed;
}

// After the programs: every replica of the memory ownership map must be
// identical, every monitor's chunk capabilities must match what its replica
// says it owns, and no chunk may be held twice.
void check_replicas(u32 started) {
    MemoryState mine{};
    bool ok = wait_until_quiet().ok();
    mine = memory_state();
    ok = ok && mine.consistent;
    u32 owned = mine.owned, held = mine.held, moves = mine.moved_in, identical = 1;
    u32 retries = mine.retries, refused = mine.refused;
    for (u32 n = 1; n < g_self.cores; ++n) {
        if (g_control[n] == nullptr) continue;
        midl::Monitor::CollectStateResults r{};
        auto id = g_control[n]->client.collect_state(&r);
        Status s = id.ok() ? wait_control(n, *id) : Status(id.error());
        if (!s.ok()) {
            printf("core %u did not report its memory state: %s", n, error_name(s.error()));
            ok = false;
            continue;
        }
        if (r.digest == mine.digest) ++identical;
        else ok = false;
        if (!r.consistent) {
            printf("core %u: its chunk capabilities do not match its map", n);
            ok = false;
        }
        owned += r.owned;
        held += r.held;
        moves += r.moved_in;
        retries += r.retries;
        refused += r.refused;
    }
    // Chunks held by all cores together equal the chunks the map gives to cores: none twice, none lost.
    if (owned != held) ok = false;
    printf("AGREE %s replicas=%u identical=%u digest=%016lx chunks=%u held=%u moves=%u retries=%u refused=%u",
           ok ? "ok" : "FAILED", started + 1, identical, mine.digest, owned, held, moves, retries, refused);
}

// After the programs: nothing the storms allocated may still be handed out
// (everything they deleted or revoked came back to its owner's pool), no
// capability may have survived a revoke on any core, no free memory of any
// pool may be covered by a capability on its core, and no offer may wait.
void check_caps(u32 started) {
    bool ok = wait_until_quiet().ok();
    midl::Monitor::CollectCapsResults sum = caps_state();
    u32 reporting = 1;
    for (u32 n = 1; n < g_self.cores; ++n) {
        if (g_control[n] == nullptr) continue;
        midl::Monitor::CollectCapsResults r{};
        auto id = g_control[n]->client.collect_caps(&r);
        Status s = id.ok() ? wait_control(n, *id) : Status(id.error());
        if (!s.ok()) {
            printf("core %u did not report its capability state: %s", n, error_name(s.error()));
            ok = false;
            continue;
        }
        ++reporting;
        if (r.storm_outstanding != 0 || r.survivors != 0 || r.held_free != 0 || r.refused_give_backs != 0) {
            printf("core %u: storm pieces outstanding %u, revoke survivors %u, free memory held %u, refused give-backs %u",
                   n, r.storm_outstanding, r.survivors, r.held_free, r.refused_give_backs);
        }
        sum.outstanding += r.outstanding;
        sum.storm_outstanding += r.storm_outstanding;
        sum.given_back += r.given_back;
        sum.reused += r.reused;
        sum.deletes_agreed += r.deletes_agreed;
        sum.deletes_local += r.deletes_local;
        sum.revokes += r.revokes;
        sum.survivors += r.survivors;
        sum.refused_give_backs += r.refused_give_backs;
        sum.held_free += r.held_free;
        sum.offers_waiting += r.offers_waiting;
        sum.not_now += r.not_now;
    }
    ok = ok && reporting == started + 1 && sum.storm_outstanding == 0 && sum.survivors == 0 && sum.held_free == 0 &&
         sum.refused_give_backs == 0 && sum.offers_waiting == 0;
    printf("CAPS %s monitors=%u storm_outstanding=%u survivors=%u held_free=%u refused_give_backs=%u offers_waiting=%u "
           "given_back=%u reused=%u deletes_agreed=%u deletes_local=%u revokes=%u not_now=%u outstanding=%u",
           ok ? "ok" : "FAILED", reporting, sum.storm_outstanding, sum.survivors, sum.held_free, sum.refused_give_backs,
           sum.offers_waiting, sum.given_back, sum.reused, sum.deletes_agreed, sum.deletes_local, sum.revokes,
           sum.not_now, sum.outstanding);
}

// Step 5: wait until every core's programs have ended, then finish everyone.
void finish_when_programs_end(u32 started) {
    u32 programs = 0, nonzero = 0;
    for (bool all = false; !all;) {
        serve_all();
        u32 failed = 0;
        all = programs_ended(failed);
        programs = program_count();
        nonzero = failed;
        for (u32 n = 1; n < g_self.cores && all; ++n) {
            if (g_control[n] == nullptr) continue;
            all = g_ended[n].ended;
            programs += g_ended[n].programs;
            nonzero += g_ended[n].failed;
        }
        if (!all) idle_wait();
    }
    if (programs != 0) {
        printf("PROGRAMS ended on %u cores: %u programs, %u with a nonzero exit code", started + 1, programs, nonzero);
    }
    check_replicas(started);
    check_caps(started);
    for (u32 n = 1; n < g_self.cores; ++n) {
        if (g_control[n] == nullptr) continue;
        (void)g_control[n]->client.finish();
        (void)g_control[n]->client.poll();
    }
}

int run_core0_monitor() {
    u32 started = start_cores();
    u32 failed = check_kernel_refusals() + check_irq();
    auto sent = build_mesh();
    u64 round_trips = 0;
    u32 mesh_failed = 0;
    if (sent.ok()) {
        mesh_failed = check_mesh(started, round_trips);
    } else {
        printf("building the mesh failed: %s", error_name(sent.error()));
        mesh_failed = 1;
    }
    u32 monitors = started + 1;
    printf("MESH %s monitors=%u channels=%u caps_sent=%u round_trips=%lu failed=%u", mesh_failed == 0 ? "ok" : "FAILED",
           monitors, monitors * (monitors - 1) / 2, sent.value_or(0) + started, round_trips, mesh_failed);
    // The agreement benchmark, if asked for, before any program runs.
    boot::CommandLine cmdline(frame().cmdline);
    if (cmdline.has("bench-agree")) {
        auto samples = cmdline.get_u64("bench-agree", 500);
        if (samples.ok() && *samples > 0) run_agreement_benchmark(static_cast<u32>(*samples));
        else printf("BENCH agree failed: bench-agree=N needs N > 0");
    }
    // Programs start once every monitor can reach every other.
    start_programs();
    for (u32 n = 1; n < g_self.cores; ++n) {
        if (g_control[n] == nullptr) continue;
        (void)g_control[n]->client.start_programs();
        (void)g_control[n]->client.poll();
    }
    finish_when_programs_end(started);
    stop_services();
    return failed == 0 && mesh_failed == 0 && monitors == g_self.cores ? 0 : 1;
}

}  // namespace

void serve_all() {
    serve_peers();
    serve_agreement();
    serve_releases();
    if (g_control_server != nullptr && !g_in_control) {
        g_in_control = true;
        (void)g_control_server->poll();
        g_in_control = false;
    }
    serve_programs();
    serve_services();
    serve_spans();
    wake_peers();
}

}  // namespace mk::monitor

extern "C" int domain_main(mk::u32 core, mk::u32 cores) {
    using namespace mk;
    using namespace mk::monitor;
    user::printf("up in user mode on core %u of %u", core, cores);
    g_self.core = core;
    g_self.cores = cores > kMaxCores ? static_cast<u32>(kMaxCores) : cores;
    static user::SlotAllocator slots(abi::kSlotCNode2);
    g_self.slots = &slots;
    u32 general_log2 = 0;
    auto general = init_memory(general_log2);
    if (!general.ok()) {
        user::printf("cannot set up this core's memory: %s", error_name(general.error()));
        return 1;
    }
    g_self.general = *general;
    static user::RamAllocator allocator(*general, u64{1} << general_log2, slots);
    static user::AddressSpace space(kVSpace, allocator);
    slots.grow_from(allocator, kGrowL1First, kGrowL1End);
    g_self.ram = &allocator;
    g_self.space = &space;
    return core == 0 ? run_core0_monitor() : run_other_monitor();
}
