// What the parts of the monitor share (docs/monitor.md): this core's place,
// its memory, the waits, and the three kinds of channel it serves: the
// control channel between core 0's monitor and each other (mesh.cpp), the
// mesh channels between every two monitors (mesh.cpp), and a channel to
// every program it started (programs.cpp).
#pragma once

#include "abi/caps.hpp"
#include "agree/capops.hpp"
#include "agree/message.hpp"
#include "agree/engine.hpp"
#include "agree/router.hpp"
#include "svc/names.hpp"
#include "abi/syscalls.hpp"
#include "monitor.urpc.hpp"
#include "urpc/endpoint.hpp"
#include "user/caps.hpp"
#include "user/console.hpp"
#include "user/vm.hpp"

namespace mk::monitor {

namespace midl = idl::monitor;
using user::CapType;

inline constexpr u32 kKernel = abi::cap_address(abi::kTaskCNode, abi::kTaskKernel);
inline constexpr u32 kIo = abi::cap_address(abi::kTaskCNode, abi::kTaskIo);
inline constexpr u32 kLinkFrame = abi::cap_address(abi::kTaskCNode, abi::kTaskMonitorLink);
inline constexpr u32 kVSpace = abi::cap_address(abi::kTaskCNode, abi::kTaskVSpace);
inline constexpr u32 kRam = abi::cap_address(abi::kRamCNode, 0);
inline constexpr usize kMaxCores = 64;

// Where things go in the monitor's address space and root CNode.
inline constexpr u64 kMeshVa = 0x20000000000;      // mesh channels, a page each, by peer core
inline constexpr u64 kControlVa = 0x21000000000;   // the control channel(s), by core
inline constexpr u64 kProgramVa = 0x22000000000;   // program channels, by program
inline constexpr u64 kModuleVa = 0x30000000000;    // boot modules, mapped read-only to load programs
inline constexpr u64 kScratchVa = 0x38000000000;   // where the loader fills a new domain's pages
inline constexpr u32 kSpawnL1A = 10, kSpawnL1B = 11;  // root CNode slots the loader borrows
inline constexpr u32 kPlaceL1A = 12, kPlaceL1B = 13;  // and those place_in_child borrows
inline constexpr u32 kGrowL1First = 16, kGrowL1End = 64;  // root CNode slots for more slot CNodes

// This core's place and memory (set up first in domain_main).
struct Self {
    u32 core = 0;
    u32 cores = 1;
    user::SlotAllocator* slots = nullptr;
    user::RamAllocator* ram = nullptr;
    user::AddressSpace* space = nullptr;
    u32 general = 0;  // the RAM capability of the general block (memory.cpp)
};
extern Self g_self;

inline const abi::DispatcherFrame& frame() {
    return *reinterpret_cast<const abi::DispatcherFrame*>(abi::kDispatcherFrameAddress);
}
inline u64 rdtsc() {
    u32 lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (u64{hi} << 32) | lo;
}
// Every wait for another monitor or a program gives up after this.
inline u64 deadline(u64 seconds = 10) { return rdtsc() + seconds * frame().tsc_hz; }

// Maps a 4 KiB channel frame at `va` and returns it.
Result<urpc::Frame*> map_channel(u32 frame_cap, u64 va);

// Serves everything this monitor serves, once: mesh channels, the control
// channel (cores 1..n-1), program channels. Every wait loop calls it.
void serve_all();

// ---- idle.cpp ----
// Every channel to another monitor, so that a waiting monitor can announce it
// and a sending one can wake the peer.
void watch_channel(urpc::Endpoint& ep, u32 peer);
void wake_peers();  // wakes the peers that were sent something and announced they wait
void idle_wait();   // what every wait loop does instead of spinning (see idle.cpp)

// ---- mesh.cpp ----
Status attach_peer(u32 peer, bool side_a, u32 frame_cap);
usize peer_count();
// Pings every mesh peer `rounds` times; adds to round_trips and failed.
void ping_peers(u32 rounds, u64& round_trips, u32& failed);
void serve_peers();
// Core 0 only: the control channels to the other monitors.
struct Control {
    explicit Control(urpc::Frame& f) : ep(urpc::Endpoint::init(f, urpc::Side::A)), client(ep) {}
    urpc::Endpoint ep;
    midl::MonitorClient<urpc::Endpoint> client;
};
extern Control* g_control[kMaxCores];
Status wait_control(u32 core, idl::CallId id);
// Core 0 only: which cores reported that their programs ended.
struct EndReport {
    bool ended;
    u32 programs, failed;
};
extern EndReport g_ended[kMaxCores];
// Cores 1..n-1: tell core 0 that this core's programs ended.
Status report_programs_ended(u32 programs, u32 failed);

// ---- programs.cpp ----
// Starts the programs the command line names on this core.
void start_programs();
void serve_programs();
// How many programs were started, and whether all have ended (and how many failed).
u32 program_count();
bool programs_ended(u32& failed);
// The tag of the pieces allocated for the program named `name` (0: none such).
u8 program_tag(const char* name);

// ---- transfer.cpp ----
// Capabilities in a program's space, reached through its root CNode.
Status place_in_child(u32 child_root, u32 address, u32 cap);
Status take_from_child(u32 child_root, u32 address, u32 ours);
// Local.sendCap and Local.receiveCap; record_offer takes MonitorPeer.capOffer.
// A ticket is (this core << 32) | (the program's tag << 24) | its offers so
// far: a program on the receiving core can name the offers of its
// counterpart (the same program, started in the same place on every core).
Status offer_cap(u32 child_root, u32 address, u32 to_core, u64 ticket);
Status claim_cap(u32 child_root, u64 ticket, u32 address);
void record_offer(u64 ticket, u32 type, u32 rights, u64 base, u64 bytes);
// Spawn's use of the same offers: send this monitor's capability `ours`
// (RAM or Frame, marked remote here) to core `to_core` under a ticket of
// spawn's own numbering; and, there, make the offered capability in a slot
// of the monitor's own (the offer is used up).
Result<u64> offer_own_cap(u32 ours, u32 to_core);
Result<u32> claim_offer(u64 ticket);
// Local.revokeCap: an agreed revoke of the object on every core.
Status revoke_everywhere(u32 child_root, u32 address);
// Local.retypeCap: a retype from RAM with remote copies, agreed by every core.
Status retype_agreed(u32 child_root, u32 address, u32 type, u32 size_log2, u64 offset, u32 dest);
void register_cap_family(agree::Router& router);
// Empties a slot of a program's space.
Status remove_in_child(u32 child_root, u32 address);
// Offers recorded here and not claimed: how many count in a range (as
// Kernel.countInRange would once claimed), dropping those a revoke removed
// (their tickets then answer Revoked), and how many wait.
u32 offers_in_range(u64 base, u64 bytes);
void drop_offers(u64 base, u64 bytes);
u32 offers_waiting();

// ---- release.cpp ----
// Local.deleteCap: true if nothing on any core holds the memory any more.
Result<bool> delete_cap(u32 child_root, u32 address);
// The capability family's participant (transfer.cpp): ranges it voted yes
// on and not yet decided, offers on their way, DeleteLast's votes.
bool offer_in_transit(u64 base, u64 bytes);
void note_not_now();
void hold_range(u64 base, u64 bytes);
void drop_range(u64 base, u64 bytes);
bool range_held(u64 base, u64 bytes);
agree::Vote delete_last_check(const agree::CapOp& c);
u16 delete_last_answer(const agree::CapOp& c);
void delete_last_apply(const agree::CapOp& c, u16 answers);
void revoke_applied(const agree::CapOp& c);
void cap_op_finished(const agree::CapOp& c, agree::Outcome outcome);
// Offers: sent (until recorded there, operations on the memory wait),
// recorded (MonitorPeer.capOfferRecorded), and the answer to a capOffer.
Status offer_sent(u64 ticket, u64 base, u64 bytes);
void offer_recorded(u64 ticket);
Status wait_offer_recorded(u64 ticket);
void answer_offer(u32 to, u64 ticket);
// MonitorPeer.pieceFree, or this core's own finding: give the piece back
// if it is one and nothing here holds it.
void piece_free_received(u64 base, u64 bytes);
void serve_releases();  // notes that found a channel full
struct CapCounters {
    u32 deletes_agreed, deletes_local, revokes, survivors, refused_give_backs, not_now;
};
CapCounters cap_counters();
// mesh.cpp
Status send_offer_recorded(u32 to, u64 ticket);
Status send_piece_free(u32 to, u64 base, u64 bytes);
// mesh.cpp: sends an offer to core `to`'s monitor.
Status send_cap_offer(u32 to, u64 ticket, const abi::CapIdentity& id);

// ---- span.cpp (docs/shootdown.md) ----
// Home side: Local.span (a dispatcher of program `domain` on `core`, in its
// address space; `spans` is the program's set of cores), Local.shootdown
// (-> how many cores acknowledged), and the end of every span of a program.
Status span_domain(u64 domain, u32 child_root, u32 core, u64 entry, u64 stack_top, u64 arg, u32 frame_slot,
                   u64& spans);
Result<u32> shootdown_domain(u64 domain, u64 spans, u64 vaddr, u64 pages);
void end_spans(u64 domain, u64& spans);
// Span side: MonitorPeer.spanStart, shootdown and spanEnd from `home`, and
// the spans that ended by themselves.
Status span_here(u32 home, const midl::MonitorPeer::SpanStartParams& p, midl::MonitorPeer::SpanStartResults& r);
Status shootdown_here(u32 home, u64 domain, u64 vaddr, u64 pages);
Status span_end_here(u32 home, u64 domain);
void serve_spans();
// mesh.cpp: the client end of the mesh channel to `core` (nullptr: none).
midl::MonitorPeerClient<urpc::Endpoint>* peer_client(u32 core);

// ---- memory.cpp ----
// Cuts this monitor's RAM into its general block (returned, of 2^general_log2
// bytes) and its pool of chunks, and sets up the agreement engine.
Result<u32> init_memory(u32& general_log2);
void announce_pool();                              // to every peer, once the mesh is up
void record_pool(u32 core, u32 first, u32 count);  // MonitorPeer.poolAnnounce
u32 pool_chunks();
void agreement_received(const agree::Message& m);  // MonitorPeer.agreePrepare/agreeStep
void serve_agreement();                            // timers and queued messages
bool agreement_quiet();
void dump_agreement(const char* why);
void print_traffic();
void print_channel_stats();  // mesh.cpp: channels that rejected or hold back payloads  // the engine's state on the console, when something is stuck
// Local.allocRam: RAM from the pool; Busy while a chunk is being moved here.
// The capability to hand out, and whether it is ours to delete afterwards
// (a piece made for the caller) or to keep (a whole chunk, of which the
// caller gets a copy).
struct Allocation {
    u32 cap;
    bool temporary;
};
Result<Allocation> alloc_ram(u32 size_log2, u8 tag = 0);  // tag: who asked (PiecePool)
// How many capabilities here overlap the range without strictly containing
// it (Kernel.countInRange); all ones if the kernel refuses the range.
u64 count_in_range_here(u64 base, u64 bytes);
// 1 if [base, base + bytes) is a chunk of this core's pool: its own chunk
// capability is then among what count_in_range_here counts.
u32 pool_copies(u64 base, u64 bytes);
u8 memory_owner(u64 base);  // the core whose pool holds it (replicated map), agree::kNoCore if none
bool piece_handed_out(u64 base, u64 bytes);
bool give_back_piece(u64 base, u64 bytes);
void mark_piece_shared(u64 addr);  // something in the piece holding addr was sent to another core
bool piece_shared(u64 addr);
struct PoolState {
    u32 outstanding, storm_outstanding, given_back, reused, held_free;
};
PoolState pool_state(u8 storm_tag);
struct MemoryState {
    u64 digest;
    u32 owned, held, moved_in, moved_out, retries, refused;
    bool consistent;
};
MemoryState memory_state();
// mesh.cpp: the agreement's and the pool's messages to one peer.
Status send_agreement(u32 to, const agree::Message& m);
// Starts an agreed operation from this core (Busy: one is running), and
// serves everything else (but the programs) until it has finished.
Status start_agreement(const agree::Op& op);
Status wait_for_agreement();
// Moves one chunk from another core's pool here and waits for the decision.
Status move_one_chunk_here();

// ---- programs.cpp: the table spawn.cpp works on ----
Result<u64> start_program(const char* name, const char* args);  // Full: no free record here
Result<u32> program_root(u64 id);                                // its root CNode; NotFound
Status program_status(u64 id, bool& ended, int& exit_code);
Status list_programs(idl::List<midl::DomainInfo, 16>& out);

// ---- spawn.cpp (docs/services/spawn.md) ----
// Local.spawn for the program whose root CNode is `caller_root`.
Status spawn_for(u32 caller_root, const midl::Local::SpawnParams& p, midl::Local::SpawnResults& r);
Status domain_status_anywhere(u64 id, bool& ended, i32& exit_code);
Status list_domains_on(u32 core, idl::List<midl::DomainInfo, 16>& out);
Status list_caps_anywhere(u64 id, u32 from, idl::List<midl::CapInfo, 16>& out, u32& next);
// The MonitorPeer side: what another core's monitor asks of this one.
Result<u64> spawn_here(const char* name, const char* args, bool has_cap, u64 ticket);
Status list_caps_here(u64 id, u32 from, idl::List<midl::CapInfo, 16>& out, u32& next);
// mesh.cpp: the client of the mesh channel to core `core` (nullptr: none).
midl::MonitorPeerClient<urpc::Endpoint>* peer_client(u32 core);

// ---- console.cpp ----
// The serial console's I/O ports into the task slot kTaskConsole of the
// program whose root CNode is `child_root` (core 0's boot-started shell).
Status grant_console(u32 child_root);

// ---- memory.cpp: the pools as this replica of the ownership map sees them ----
Status pool_sizes(idl::List<u32, 64>& chunks, u64& chunk_bytes);

// ---- bench.cpp ----
void register_bench_family(agree::Router& router);
void run_agreement_benchmark(u32 samples);            // core 0
Status bench_agree_here(u32 count, u8 what, u64& cycles, u32& done);  // Monitor.benchAgree
Status send_pool_announce(u32 to, u32 first, u32 count);

// ---- checks.cpp ----
struct Checks {
    const char* topic;
    u32 run = 0, failed = 0;
    void expect(Error got, Error want, const char* what);
    void that(bool holds, const char* what);
    u32 report() const;
};
u32 check_kernel_refusals();
u32 check_irq();  // core 0

// ---- names.cpp: the name service's table, agreed by every monitor ----
void register_names_family(agree::Router& router);
void serve_names();  // starts this monitor's next queued registration
// Registers or withdraws this core under `name` and waits until every
// replica has it (InvalidArgument: not a name; NoRights: the table is full).
Status name_update(svc::NameAction action, const char* name);
u64 lookup_name(const char* name);  // the cores that registered it
// memory.cpp: the engine every agreed family shares.
agree::Engine& agreement_engine();

// ---- services.cpp: the manifest, channels to services, the end ----
Status service_register(u32 child_root, const char* name);
Status service_lookup(const char* name, u64& cores, u64& planned);
Status service_connect(u32 child_root, const char* name, u32 to_core, u32 port, u32 slot);
Status service_accept(u32 child_root, u32 slot, bool& found, u32& from_core, u32& port);
bool service_stop_requested();
void channel_offered(u32 from_core, const char* name, u32 port, u32 type, u32 rights, u64 base, u64 bytes);
void start_service_here(const char* name);  // MonitorPeer.startService
void serve_services();                      // from serve_all
void stop_services();                       // asks this core's services to end and waits for them
// programs.cpp: services are programs that end when asked to.
void start_service_program(const char* name);
bool services_ended();
// mesh.cpp
Status send_channel_offer(u32 to, const char* name, u32 port, u32 type, u32 rights, u64 base, u64 bytes);
Status send_start_service(u32 to, const char* name);

}  // namespace mk::monitor
