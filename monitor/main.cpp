// The monitor: the first user domain on every core, holding its core's
// Kernel capability and (but for the CPU driver's reserve) all of its RAM.
//
// Core 0's monitor brings the system up (docs/monitor.md):
//   1. For every other core it makes a 4 KiB Frame from its RAM and invokes
//      Kernel.startCore: the CPU driver boots that core unless it runs, and
//      its monitor starts with the frame as its channel to core 0's monitor.
//   2. It builds the monitor mesh: for every pair of the other monitors a
//      channel frame, sent to both as a capability (Monitor.attachPeer). A
//      capability crosses cores only through monitors: the sender marks its
//      copy as having a remote copy (Kernel.markRemote), the receiver makes
//      its own from the description (Kernel.capCreate), marked the same way.
//   3. It has every monitor ping every peer (Monitor.checkMesh), pings each
//      itself, prints the MESH line and tells the monitors to finish.
// The other monitors serve Monitor on their channel to core 0 and
// MonitorPeer on their mesh channels until they are told to finish.
// Every monitor starts the programs the command line names on its core, with
// the user-level ELF loader (lib/user/spawn.hpp): `test` the in-guest suites
// on every core, `run=NAME` one program on core 0.
#include <new>

#include "abi/caps.hpp"
#include "abi/syscalls.hpp"
#include "boot/cmdline.hpp"
#include "idl/route.hpp"
#include "monitor.urpc.hpp"
#include "urpc/endpoint.hpp"
#include "user/caps.hpp"
#include "user/console.hpp"
#include "user/spawn.hpp"
#include "user/syscall.hpp"
#include "user/vm.hpp"

namespace mk::monitor {
namespace {

using namespace mk::user;
namespace midl = idl::monitor;

constexpr u32 kKernel = abi::cap_address(abi::kTaskCNode, abi::kTaskKernel);
constexpr u32 kLinkFrame = abi::cap_address(abi::kTaskCNode, abi::kTaskMonitorLink);
constexpr u32 kVSpace = abi::cap_address(abi::kTaskCNode, abi::kTaskVSpace);
constexpr u32 kRam = abi::cap_address(abi::kRamCNode, 0);
constexpr u64 kChannelVa = 0x20000000000;  // channel frames, one page each, by core number
constexpr u64 kModuleVa = 0x30000000000;   // boot modules, mapped read-only to load programs
constexpr u64 kScratchVa = 0x38000000000;  // where the loader fills a new domain's pages
constexpr u32 kSpawnL1A = 10, kSpawnL1B = 11;  // free root CNode slots the loader borrows
constexpr u32 kGrowL1First = 16, kGrowL1End = 64;  // root CNode slots for more slot CNodes
constexpr u64 kProgramRam = 4 << 20;       // RAM each started program gets
constexpr usize kMaxCores = 64;
constexpr u32 kMeshRounds = 10;
constexpr u64 kWaitSeconds = 10;  // every wait for another monitor gives up eventually

const abi::DispatcherFrame& frame() { return *reinterpret_cast<const abi::DispatcherFrame*>(abi::kDispatcherFrameAddress); }

u64 rdtsc() {
    u32 lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (u64{hi} << 32) | lo;
}
u64 deadline() { return rdtsc() + kWaitSeconds * frame().tsc_hz; }

u32 g_core = 0, g_cores = 1;
SlotAllocator g_slots(abi::kSlotCNode2);
RamAllocator* g_ram;
AddressSpace* g_space;

// Maps a channel frame at its core's place and returns it.
Result<urpc::Frame*> map_channel(u32 frame_cap, u32 core) {
    u64 va = kChannelVa + u64{core} * kPageSize;
    TRY_STATUS(g_space->map_frame(va, frame_cap, abi::kMapWrite));
    return reinterpret_cast<urpc::Frame*>(va);
}

// Starts the programs the command line names, each with the environment the
// CPU driver gives a boot domain: RAM, slot CNodes, the boot modules, a
// 64 KiB stack, and its core number and the core count as arguments.
void start_programs() {
    boot::CommandLine cmdline(frame().cmdline);
    static Spawner spawner(*g_space, kModuleVa, kScratchVa, kSpawnL1A, kSpawnL1B);
    Spawner::Options full;
    full.ram_bytes = kProgramRam;
    full.slot_cnodes = full.modules = full.named = true;
    full.stack_pages = abi::kUserStackPages;
    auto start = [&](const char* name) {
        auto d = spawner.spawn(*g_ram, name, g_core, abi::kNoCap, full);
        if (!d.ok()) printf("cannot start %s: %s", name, error_name(d.error()));
    };
    if (cmdline.has("test")) {
        start("usertest");
        start("syscallfuzz");
    }
    char run[32];
    if (g_core == 0 && cmdline.get("run", run, sizeof run).ok()) start(run);
}

// ---- Mesh channels between the monitors of cores 1..n-1 ----

struct PeerPing {
    u32 self;
    Status ping(const midl::MonitorPeer::PingParams& p, midl::MonitorPeer::PingResults& r) {
        r.from = self;
        r.seq = p.seq + 1;
        return {};
    }
};

struct Peer {
    Peer(urpc::Frame& f, bool side_a, u32 core_number)
        : core(core_number), ep(urpc::Endpoint::init(f, side_a ? urpc::Side::A : urpc::Side::B)), client(ep),
          handler{g_core}, server(handler, ep) {}
    void serve() { idl::route(ep, client, server, stash, stashed); }

    u32 core;
    urpc::Endpoint ep;
    midl::MonitorPeerClient<urpc::Endpoint> client;
    PeerPing handler;
    midl::MonitorPeerServer<PeerPing, urpc::Endpoint> server;
    urpc::Payload stash{};
    bool stashed = false;
};

alignas(Peer) u8 g_peer_storage[kMaxCores][sizeof(Peer)];
Peer* g_peers[kMaxCores] = {};
usize g_peer_count = 0;

void serve_peers() {
    for (usize i = 0; i < g_peer_count; ++i) g_peers[i]->serve();
}

// ---- A monitor of cores 1..n-1: Monitor, as served on the channel to core 0 ----

struct MonitorService {
    bool finished = false;

    Status attach_peer(const midl::Monitor::AttachPeerParams& p, midl::Monitor::AttachPeerResults&) {
        if (p.peer >= g_cores || p.peer == g_core || p.peer == 0) return Error::OutOfRange;
        for (usize i = 0; i < g_peer_count; ++i) {
            if (g_peers[i]->core == p.peer) return Error::Busy;
        }
        if (p.cap_type != u32(CapType::Frame) || p.bytes != kPageSize) return Error::WrongType;
        // The capability arrives as a description; this core's CPU driver
        // makes the local copy, marked as having a copy elsewhere.
        u32 slot = TRY(g_slots.next());
        Error e = invoke(kKernel, abi::kKernelCapCreate, slot, p.cap_type | (u64{p.rights} << 8), p.base, p.bytes).error;
        if (e != Error::Ok) return e;
        abi::CapIdentity id{};
        if (identify(slot, id) != Error::Ok || id.base != p.base || (id.remote & 1) == 0) return Error::BadMessage;
        urpc::Frame* f = TRY(map_channel(slot, p.peer));
        g_peers[g_peer_count] = new (g_peer_storage[g_peer_count]) Peer(*f, p.side_a, p.peer);
        ++g_peer_count;
        return {};
    }

    // Pings every peer `rounds` times, all peers at once, answering their pings meanwhile.
    Status check_mesh(const midl::Monitor::CheckMeshParams& p, midl::Monitor::CheckMeshResults& r) {
        r = {};
        r.peers = static_cast<u32>(g_peer_count);
        for (u32 round = 0; round < p.rounds; ++round) {
            midl::MonitorPeer::PingResults results[kMaxCores] = {};
            idl::CallId ids[kMaxCores] = {};
            bool issued[kMaxCores] = {};
            u64 seq = (u64{g_core} << 32) | round;
            for (usize i = 0; i < g_peer_count; ++i) {
                auto id = g_peers[i]->client.ping(g_core, seq, &results[i]);
                issued[i] = id.ok();
                if (id.ok()) ids[i] = *id;
                else ++r.failed;
            }
            u64 until = deadline();
            for (usize done = 0; done < g_peer_count;) {
                serve_peers();
                done = 0;
                for (usize i = 0; i < g_peer_count; ++i) {
                    if (!issued[i]) {
                        ++done;
                        continue;
                    }
                    Status s = g_peers[i]->client.status(ids[i]);
                    if (s.error() == Error::Empty && rdtsc() < until) continue;
                    if (s.error() == Error::Empty) g_peers[i]->client.cancel(ids[i]);
                    bool good = s.ok() && results[i].from == g_peers[i]->core && results[i].seq == seq + 1;
                    if (good) ++r.round_trips;
                    else ++r.failed;
                    issued[i] = false;
                    ++done;
                }
                if (done < g_peer_count) yield();
            }
        }
        return {};
    }

    Status ping(const midl::Monitor::PingParams& p, midl::Monitor::PingResults& r) {
        r.from = g_core;
        r.seq = p.seq + 1;
        return {};
    }

    void finish(const midl::Monitor::FinishParams&) { finished = true; }
};

int run_other_monitor() {
    abi::CapIdentity id{};
    if (identify(kLinkFrame, id) != Error::Ok || (id.remote & 1) == 0) {
        printf("no channel to core 0's monitor (or it is not marked as shared across cores)");
        return 1;
    }
    auto f = map_channel(kLinkFrame, 0);
    if (!f.ok()) {
        printf("cannot map the channel to core 0's monitor: %s", error_name(f.error()));
        return 1;
    }
    urpc::Endpoint ep = urpc::Endpoint::init(**f, urpc::Side::B);
    MonitorService service;
    midl::MonitorServer<MonitorService, urpc::Endpoint> server(service, ep);
    while (!service.finished) {
        (void)server.poll();
        serve_peers();
        yield();
    }
    // Answer the last requests (the finish came after them) before ending.
    for (int i = 0; i < 100 && server.replying(); ++i) (void)server.poll();
    return 0;
}

// ---- Core 0's monitor ----

struct Link {  // core 0's end of its channel to another core's monitor
    explicit Link(urpc::Frame& f) : ep(urpc::Endpoint::init(f, urpc::Side::A)), client(ep) {}
    urpc::Endpoint ep;
    midl::MonitorClient<urpc::Endpoint> client;
};
alignas(Link) u8 g_link_storage[kMaxCores][sizeof(Link)];
Link* g_links[kMaxCores] = {};

// Waits for a call on core n's link; Timeout if the answer does not come.
Status wait_link(u32 n, idl::CallId id) {
    u64 until = deadline();
    for (;;) {
        (void)g_links[n]->client.poll();
        Status s = g_links[n]->client.status(id);
        if (s.error() != Error::Empty) return s;
        if (rdtsc() > until) {
            g_links[n]->client.cancel(id);
            return Error::Timeout;
        }
        yield();
    }
}

// Step 1: every other core, with a channel frame of its own.
u32 start_cores() {
    u32 started = 0;
    for (u32 n = 1; n < g_cores; ++n) {
        auto frame_cap = g_ram->make(u32(CapType::Frame), 12);
        auto f = frame_cap.ok() ? map_channel(*frame_cap, n) : Result<urpc::Frame*>(frame_cap.error());
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
        g_links[n] = new (g_link_storage[n]) Link(**f);
        ++started;
    }
    return started;
}

// Step 2: a channel between every pair of started monitors of cores 1..n-1.
// Returns the number of capabilities sent, or an error.
Result<u32> build_mesh() {
    u32 sent = 0;
    for (u32 j = 1; j < g_cores; ++j) {
        for (u32 k = j + 1; k < g_cores; ++k) {
            if (g_links[j] == nullptr || g_links[k] == nullptr) continue;
            u32 frame_cap = TRY(g_ram->make(u32(CapType::Frame), 12));  // zeroed: a fresh channel
            if (Error e = invoke(kKernel, abi::kKernelMarkRemote, frame_cap).error; e != Error::Ok) return e;
            abi::CapIdentity id{};
            if (Error e = identify(frame_cap, id); e != Error::Ok) return e;
            if ((id.remote & 1) == 0) return Error::BadMessage;
            auto rights = static_cast<u32>(kRead | kWrite);
            auto to_j = g_links[j]->client.attach_peer(k, true, u32(id.type), rights, id.base, id.bytes);
            auto to_k = g_links[k]->client.attach_peer(j, false, u32(id.type), rights, id.base, id.bytes);
            if (!to_j.ok()) return to_j.error();
            if (!to_k.ok()) return to_k.error();
            TRY_STATUS(wait_link(j, *to_j));
            TRY_STATUS(wait_link(k, *to_k));
            sent += 2;
        }
    }
    return sent;
}

// Counts checks and reports the ones that fail, by name.
struct Checks {
    const char* topic;
    u32 run = 0, failed = 0;
    void expect(Error got, Error want, const char* what) {
        if (!count(got == want)) printf("%s check failed: %s: %s, expected %s", topic, what, error_name(got), error_name(want));
    }
    void that(bool holds, const char* what) {
        if (!count(holds)) printf("%s check failed: %s", topic, what);
    }
    bool count(bool holds) {
        ++run;
        if (!holds) ++failed;
        return holds;
    }
    u32 report() const {
        printf("%s checks: %u passed, %u failed", topic, run - failed, failed);
        return failed;
    }
};

// ---- The Kernel capability's refusals, checked on every core ----

// COM1's interrupt line, for real: the monitor connects its IRQ capability,
// makes the UART raise the line (transmitter-empty interrupts on), sees the
// interrupt counted, and puts everything back. Core 0 only (the other cores'
// monitors hold no IRQ capabilities).
u32 check_irq() {
    Checks c{"irq"};
    constexpr u32 kIo = abi::cap_address(abi::kTaskCNode, abi::kTaskIo);
    constexpr u32 kCom1Line = abi::cap_address(abi::kIrqCNode, 4);
    constexpr u64 kCom1 = 0x3F8, kIer = kCom1 + 1, kIir = kCom1 + 2, kMcr = kCom1 + 4;
    auto in = [](u64 port) { return invoke(kIo, abi::kIoIn, port, 1).value; };
    auto out = [](u64 port, u64 v) { (void)invoke(kIo, abi::kIoOut, port, 1, v); };
    abi::CapIdentity id{};
    c.that(identify(kCom1Line, id) == Error::Ok && id.type == u64(CapType::Irq) && id.word == 4, "IRQ capability of line 4");
    c.expect(invoke(kCom1Line, abi::kIrqPending).error, Error::InvalidArgument, "pending before connect");
    c.expect(invoke(kCom1Line, 95).error, Error::UnknownMethod, "an unknown IRQ method");
    c.expect(invoke(kCom1Line, abi::kIrqConnect).error, Error::Ok, "connect COM1's line");
    c.expect(invoke(kCom1Line, abi::kIrqConnect).error, Error::Busy, "connect twice");
    u64 ier = in(kIer), mcr = in(kMcr);
    out(kMcr, mcr | 8);  // OUT2 gates the UART's interrupt onto the ISA line on PCs
    out(kIer, ier | 2);  // interrupt when the transmit register is empty, which it soon is
    u64 seen = 0, until = rdtsc() + frame().tsc_hz;  // one second at most
    while (seen == 0 && rdtsc() < until) {
        seen += invoke(kCom1Line, abi::kIrqPending).value;
        yield();
    }
    out(kIer, ier);
    out(kMcr, mcr);
    (void)in(kIir);  // reading IIR clears the transmitter-empty condition
    c.that(seen >= 1, "COM1's interrupt arrived and was counted");
    c.expect(invoke(kCom1Line, abi::kIrqAck).error, Error::Ok, "acknowledge");
    c.expect(invoke(kCom1Line, abi::kIrqDisconnect).error, Error::Ok, "disconnect");
    c.expect(invoke(kCom1Line, abi::kIrqAck).error, Error::InvalidArgument, "acknowledge after disconnect");
    c.expect(invoke(abi::cap_address(abi::kIrqCNode, 15), abi::kIrqDisconnect).error, Error::InvalidArgument,
             "disconnect a line never connected");
    return c.report();
}

// Each bad invocation must fail with its named error and change nothing
// (docs/monitor.md). Returns the number of checks that did not hold.
u32 check_kernel_refusals() {
    Checks c{"kernel-cap"};
    auto expect = [&c](Error got, Error want, const char* what) { c.expect(got, want, what); };
    abi::CapIdentity ram{};
    (void)identify(kRam, ram);
    auto create = [](u64 slot, u64 type, u64 rights, u64 base, u64 bytes) {
        return invoke(kKernel, abi::kKernelCapCreate, slot, type | (rights << 8), base, bytes).error;
    };
    u32 free_slot = g_slots.next().value_or(0);
    u64 frame = u64(CapType::Frame), rw = kRead | kWrite;
    expect(create(kRam, frame, rw, 64 << 20, kPageSize), Error::SlotOccupied, "capCreate into a full slot");
    expect(create(free_slot, u64(CapType::Endpoint), rw, 64 << 20, kPageSize), Error::WrongType, "capCreate of an Endpoint");
    expect(create(free_slot, frame, rw, (64 << 20) + 8, kPageSize), Error::OutOfRange, "capCreate unaligned");
    expect(create(free_slot, frame, rw, 0, kPageSize), Error::OutOfRange, "capCreate in low memory");
    expect(create(free_slot, frame, rw, ~u64{0} << 12, kPageSize), Error::OutOfRange, "capCreate beyond memory");
    expect(create(free_slot, frame, 0x10, 64 << 20, kPageSize), Error::InvalidArgument, "capCreate with bad rights");
    expect(create(free_slot, frame, rw, ram.base, kPageSize), Error::NoRights, "capCreate of this core's own memory");
    expect(invoke(kKernel, abi::kKernelMarkRemote, kVSpace).error, Error::WrongType, "markRemote of a page table");
    expect(invoke(kKernel, 99).error, Error::UnknownMethod, "an unknown Kernel method");
    abi::CapIdentity empty{};
    expect(identify(free_slot, empty), Error::InvalidCap, "the refused capCreates left the slot empty");
    if (g_core != 0) {
        expect(invoke(kKernel, abi::kKernelStartCore, 0, kLinkFrame).error, Error::Unsupported, "startCore off core 0");
    } else {
        u32 frame_cap = g_ram->make(u32(CapType::Frame), 12).value_or(0);
        expect(invoke(kKernel, abi::kKernelStartCore, 0, frame_cap).error, Error::OutOfRange, "startCore of core 0");
        expect(invoke(kKernel, abi::kKernelStartCore, g_cores, frame_cap).error, Error::OutOfRange, "startCore beyond the cores");
        expect(invoke(kKernel, abi::kKernelStartCore, 1, kRam).error, Error::WrongType, "startCore with RAM as channel");
        if (g_cores > 1 && g_links[1] != nullptr) {
            expect(invoke(kKernel, abi::kKernelStartCore, 1, frame_cap).error, Error::Busy, "startCore twice");
        }
        abi::CapIdentity id{};
        expect(identify(frame_cap, id), Error::Ok, "the refused channel frame is still there");
        c.that(id.remote == 0, "a refused startCore left its frame unmarked");
    }
    return c.report();
}

int run_core0_monitor() {
    abi::CapIdentity ram{};
    if (identify(kRam, ram) != Error::Ok) {
        printf("no RAM capability");
        return 1;
    }
    static RamAllocator allocator(kRam, ram.bytes, g_slots);
    static AddressSpace space(kVSpace, allocator);
    g_ram = &allocator;
    g_space = &space;
    g_slots.grow_from(allocator, kGrowL1First, kGrowL1End);
    u32 started = start_cores();
    start_programs();
    u32 refusals_failed = check_kernel_refusals() + check_irq();
    // The mesh, then its check: every monitor pings every peer; core 0
    // pings each itself. A failure is reported, and the monitors are told
    // to finish either way.
    u64 round_trips = 0, failed = 0;
    auto sent = build_mesh();
    if (!sent.ok()) {
        printf("building the mesh failed: %s", error_name(sent.error()));
        ++failed;
    }
    midl::Monitor::CheckMeshResults results[kMaxCores] = {};
    idl::CallId ids[kMaxCores] = {};
    bool checking[kMaxCores] = {};
    for (u32 n = 1; n < g_cores && sent.ok(); ++n) {
        if (g_links[n] == nullptr) continue;
        auto id = g_links[n]->client.check_mesh(kMeshRounds, &results[n]);
        if (!id.ok()) {
            printf("checkMesh to core %u: %s", n, error_name(id.error()));
            ++failed;
            continue;
        }
        ids[n] = *id;
        checking[n] = true;
    }
    for (u32 n = 1; n < g_cores; ++n) {
        if (!checking[n]) continue;
        Status s = wait_link(n, ids[n]);
        if (!s.ok()) {
            printf("core %u did not check its mesh channels: %s", n, error_name(s.error()));
            ++failed;
            continue;
        }
        round_trips += results[n].round_trips;
        failed += results[n].failed;
        if (results[n].peers != started - 1) ++failed;  // a channel to every other started monitor but core 0's
        for (u32 i = 0; i < kMeshRounds; ++i) {
            midl::Monitor::PingResults r{};
            auto id = g_links[n]->client.ping(0, i, &r);
            bool good = id.ok() && wait_link(n, *id).ok() && r.from == n && r.seq == i + 1;
            if (good) ++round_trips;
            else ++failed;
        }
    }
    u32 monitors = started + 1;
    printf("MESH %s monitors=%u channels=%u caps_sent=%u round_trips=%lu failed=%lu", failed == 0 ? "ok" : "FAILED",
           monitors, monitors * (monitors - 1) / 2, sent.value_or(0) + started, round_trips, failed);
    for (u32 n = 1; n < g_cores; ++n) {
        if (g_links[n] == nullptr) continue;
        (void)g_links[n]->client.finish();
        (void)g_links[n]->client.poll();
    }
    return failed == 0 && refusals_failed == 0 && started + 1 == g_cores ? 0 : 1;
}

}  // namespace
}  // namespace mk::monitor

extern "C" int domain_main(mk::u32 core, mk::u32 cores) {
    using namespace mk::monitor;
    mk::user::printf("up in user mode on core %u of %u", core, cores);
    g_core = core;
    g_cores = cores > kMaxCores ? kMaxCores : cores;
    if (core == 0) return run_core0_monitor();
    mk::abi::CapIdentity ram{};
    if (mk::user::identify(kRam, ram) != mk::Error::Ok) {
        mk::user::printf("no RAM capability");
        return 1;
    }
    static mk::user::RamAllocator allocator(kRam, ram.bytes, g_slots);
    static mk::user::AddressSpace space(kVSpace, allocator);
    g_ram = &allocator;
    g_space = &space;
    g_slots.grow_from(allocator, kGrowL1First, kGrowL1End);
    start_programs();
    mk::u32 refusals_failed = check_kernel_refusals();
    int code = run_other_monitor();
    return refusals_failed == 0 ? code : 1;
}
