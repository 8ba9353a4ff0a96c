// The in-guest test suite, run as a user domain on every core (kernel command
// line word `test`). It checks the system-call interface and its error paths,
// fault upcalls and resumption, and finally that a domain's fatal fault ends
// only that domain: its last act is to touch kernel memory.
#include "abi/caps.hpp"
#include "check.hpp"
#include "abi/syscalls.hpp"
#include "user/caps.hpp"
#include "user/console.hpp"
#include "boot.urpc.hpp"
#include "user/dispatch.hpp"
#include "user/idl_transport.hpp"
#include "user/monitor_link.hpp"
#include "user/pct.hpp"
#include "user/spawn.hpp"
#include "user/syscall.hpp"
#include "user/vm.hpp"

using namespace mk;
using namespace mk::user;
using mk::guest_test::check;
using mk::guest_test::g_failed;
using mk::guest_test::g_passed;

namespace {

abi::DispatcherFrame& frame() { return *reinterpret_cast<abi::DispatcherFrame*>(abi::kDispatcherFrameAddress); }

// The fault handler: records what it saw and continues at g_resume_at.
volatile u64 g_seen_vector, g_seen_address, g_seen_error, g_resume_at;
alignas(16) u8 g_handler_stack[8192];

extern "C" [[noreturn]] void on_fault(u64 vector, u64 address, u64 error) {
    g_seen_vector = vector;
    g_seen_address = address;
    g_seen_error = error;
    frame().saved.rip = g_resume_at;
    syscall(abi::kSysResume);
    printf("TEST FAILED: resume returned");
    exit(99);
}

void install_handler() {
    frame().fault_handler = reinterpret_cast<u64>(&on_fault);
    frame().fault_stack_top = reinterpret_cast<u64>(g_handler_stack + sizeof g_handler_stack);
}

void test_syscalls(u32 core, u32 cores) {
    const char text[] = "print works";
    check(print(text, sizeof text - 1) == Error::Ok, "print");
    check(print(reinterpret_cast<const char*>(0x10000000), 5) == Error::InvalidArgument, "print: unmapped pointer");
    check(print(reinterpret_cast<const char*>(0xFFFFFFFF80100000), 5) == Error::OutOfRange, "print: kernel pointer");
    check(print(reinterpret_cast<const char*>(0x00007FFFFFFFFFF0), 64) == Error::OutOfRange, "print: beyond user half");
    check(print(text, abi::kMaxPrint + 1) == Error::TooLong, "print: too long");
    // A range that starts on the stack and runs into the unmapped guard page.
    check(print(reinterpret_cast<const char*>(abi::kUserStackTop - 8), 16) == Error::InvalidArgument,
          "print: range into the guard page");
    check(syscall(999).error == Error::InvalidArgument, "unknown system call");
    check(syscall(0).error == Error::InvalidArgument, "system call 0");
    SyscallResult info = syscall(abi::kSysCoreInfo);
    check(info.error == Error::Ok && (info.value & 0xFFFFFFFF) == core && (info.value >> 32) == cores, "core info");
    check(syscall(abi::kSysResume).error == Error::InvalidArgument, "resume outside a fault");
    check(syscall(abi::kSysYield).error == Error::Ok, "yield");
    // Waiting for an event: with no wake IPI for this core it ends at its
    // deadline (an event kept from before may end it at once).
    Error w = syscall(abi::kSysWaitEvent, 1).error;
    check(w == Error::Timeout || w == Error::Ok, "wait for an event: one tick");
    check(syscall(abi::kSysWaitEvent, 0).error == Error::Timeout, "wait for an event: 0 ticks takes only a kept event");
    check(frame().core == core && frame().cores == cores, "dispatcher frame facts");
}

void test_fault_upcalls() {
    install_handler();
    u64 before = frame().faults_delivered;

    // #UD: continue after the two-byte UD2.
    asm volatile("lea 1f(%%rip), %%rax\n mov %%rax, %0\n ud2\n 1:" : "=m"(g_resume_at) : : "rax", "memory");
    check(g_seen_vector == 6, "upcall: #UD delivered");

    // #PF on a read of an unmapped page: the address and a user-mode error code.
    asm volatile("lea 1f(%%rip), %%rax\n mov %%rax, %0\n mov 0x10000000, %%rax\n 1:" : "=m"(g_resume_at) : : "rax", "memory");
    check(g_seen_vector == 14 && g_seen_address == 0x10000000, "upcall: #PF address");
    check((g_seen_error & 0x4) != 0 && (g_seen_error & 0x1) == 0, "upcall: #PF error code (user, not present)");

    // #PF on a write to our own code: present + write.
    asm volatile("lea 1f(%%rip), %%rax\n mov %%rax, %0\n lea 1f(%%rip), %%rax\n movb $0, (%%rax)\n 1:" : "=m"(g_resume_at) : : "rax", "memory");
    check(g_seen_vector == 14 && (g_seen_error & 0x3) == 0x3, "upcall: write to text is refused (W^X)");

    // Executing the stack: an instruction-fetch fault (NX). The fault comes
    // after the call pushed its return address, so RSP is put back after the
    // resume (compiled code may rely on its alignment: SSE spills).
    asm volatile(
        "lea 1f(%%rip), %%rax\n mov %%rax, %0\n mov %%rsp, %%rbx\n"
        "sub $16, %%rsp\n movb $0xc3, (%%rsp)\n mov %%rsp, %%rax\n add $16, %%rsp\n call *%%rax\n 1:\n"
        "mov %%rbx, %%rsp"
        : "=m"(g_resume_at) : : "rax", "rbx", "memory");
    check(g_seen_vector == 14 && (g_seen_error & 0x10) != 0, "upcall: stack is not executable (NX)");

    // A non-canonical address: #GP.
    asm volatile("lea 1f(%%rip), %%rax\n mov %%rax, %0\n movabs $0x8000000000000000, %%rax\n mov (%%rax), %%rax\n 1:"
                 : "=m"(g_resume_at) : : "rax", "memory");
    check(g_seen_vector == 13, "upcall: #GP delivered");

    check(frame().faults_delivered == before + 5, "upcall: five faults counted");
    check(frame().in_fault == 0, "upcall: not left in fault state");
    // A resumed context keeps its registers: callee-saved values survive.
    u64 r12 = 0x1234567890ABCDEF, out = 0;
    asm volatile("lea 1f(%%rip), %%rax\n mov %%rax, %1\n mov %2, %%r12\n ud2\n 1:\n mov %%r12, %0"
                 : "=r"(out), "=m"(g_resume_at) : "r"(r12) : "rax", "r12", "memory");
    check(out == r12, "upcall: registers survive a fault and resume");
}

using abi::cap_address;
constexpr u32 kRam = cap_address(abi::kRamCNode, 0);
constexpr u32 kVSpace = cap_address(abi::kTaskCNode, abi::kTaskVSpace);
u32 slot(u32 n) { return cap_address(abi::kSlotCNode, n); }
SlotAllocator g_slots(abi::kSlotCNode2);
RamAllocator g_ram(kRam, 4u << 20, g_slots);
AddressSpace g_space(kVSpace, g_ram);
AddressSpace& space = g_space;

CapType type_of(u32 cap) {
    abi::CapIdentity id{};
    return identify(cap, id) == Error::Ok ? static_cast<CapType>(id.type) : CapType::Null;
}

// Reads a word at va, or returns `fallback` if the read faults.
u64 read_or(u64 va, u64 fallback) {
    u64 value = fallback;
    asm volatile("lea 1f(%%rip), %%rax\n mov %%rax, %1\n mov (%2), %0\n 1:"
                 : "+r"(value), "=m"(g_resume_at) : "r"(va) : "rax", "memory");
    return value;
}

void test_capabilities() {
    install_handler();
    abi::CapIdentity id{};
    // The well-known capabilities of a domain started at boot.
    check(type_of(cap_address(abi::kTaskCNode, abi::kTaskRootCNode)) == CapType::CNode, "caps: root CNode");
    check(type_of(cap_address(abi::kTaskCNode, abi::kTaskDispatcher)) == CapType::Dispatcher, "caps: dispatcher");
    check(type_of(kVSpace) == CapType::Pml4, "caps: vspace");
    check(type_of(cap_address(abi::kTaskCNode, abi::kTaskFrame)) == CapType::Frame, "caps: dispatcher frame");
    check(identify(cap_address(abi::kTaskCNode, abi::kTaskKernel), id) == Error::InvalidCap, "caps: no Kernel cap outside monitors");
    check(identify(kRam, id) == Error::Ok && id.type == u64(CapType::Ram) && id.bytes == (4u << 20), "caps: 4 MiB of RAM");
    check(identify(cap_address(300, 0), id) == Error::OutOfRange || identify(cap_address(300, 0), id) == Error::InvalidCap,
          "caps: address beyond the root CNode");
    check(identify(kRam, *reinterpret_cast<abi::CapIdentity*>(0x10000000)) == Error::InvalidArgument, "caps: identify into unmapped memory");
    check(invoke(kRam, 999).error == Error::UnknownMethod, "caps: unknown method");

    // Retype and its error paths; each failure changes nothing.
    check(retype(kRam, CapType::Frame, 12, 4, 0, slot(0)) == Error::Ok, "retype: four frames");
    check(type_of(slot(3)) == CapType::Frame, "retype: frames in their slots");
    check(retype(kRam, CapType::Frame, 12, 1, 0x2000, slot(10)) == Error::Overlap, "retype: overlapping range refused");
    check(type_of(slot(10)) == CapType::Null, "retype: a refused retype made nothing");
    check(retype(kRam, CapType::Frame, 12, 1, 0x10000, slot(2)) == Error::SlotOccupied, "retype: occupied slot refused");
    check(retype(kRam, CapType::Frame, 12, 1, 8u << 20, slot(10)) == Error::OutOfRange, "retype: beyond the RAM refused");
    check(retype(kRam, CapType::Kernel, 12, 1, 0x10000, slot(10)) == Error::WrongType ||
              retype(kRam, CapType::Kernel, 12, 1, 0x10000, slot(10)) == Error::InvalidArgument,
          "retype: RAM cannot become a Kernel capability");
    check(retype(kRam, CapType::Frame, 11, 1, 0x10000, slot(10)) == Error::InvalidArgument, "retype: frames are at least a page");
    check(retype(slot(0), CapType::CNode, 12, 1, 0, slot(10)) == Error::WrongType ||
              retype(slot(0), CapType::CNode, 12, 1, 0, slot(10)) == Error::InvalidArgument,
          "retype: a Frame cannot become a CNode");

    // Copy and mint: rights only shrink.
    check(copy(slot(0), slot(4)) == Error::Ok && type_of(slot(4)) == CapType::Frame, "copy");
    check(copy(slot(0), slot(4)) == Error::SlotOccupied, "copy: into an occupied slot refused");
    check(mint(slot(0), slot(5), kRead) == Error::Ok && identify(slot(5), id) == Error::Ok && id.rights == kRead, "mint: read-only");
    check(mint(slot(5), slot(6), kRead | kWrite) == Error::NoRights, "mint: rights cannot grow");

    // Build our own page tables and map a frame at 512 GiB (Pml4 entry 1).
    constexpr u64 kVa = 0x8000000000;
    check(retype(kRam, CapType::Pdpt, 12, 1, 0x10000, slot(20)) == Error::Ok &&
              retype(kRam, CapType::Pd, 12, 1, 0x11000, slot(21)) == Error::Ok &&
              retype(kRam, CapType::Pt, 12, 1, 0x12000, slot(22)) == Error::Ok,
          "retype: page tables");
    check(map(kVSpace, 1, slot(20)) == Error::Ok && map(slot(20), 0, slot(21)) == Error::Ok &&
              map(slot(21), 0, slot(22)) == Error::Ok,
          "map: tables");
    check(map(slot(22), 0, slot(0), abi::kMapWrite) == Error::Ok, "map: a writable frame");
    check(read_or(kVa, 1) == 0, "map: a new frame reads as zero");
    *reinterpret_cast<volatile u64*>(kVa) = 0xC0FFEE;
    check(map(slot(22), 1, slot(5)) == Error::Ok, "map: the read-only copy at the next page");
    check(read_or(kVa + 0x1000, 0) == 0xC0FFEE, "map: both pages show one frame");
    check(map(slot(22), 2, slot(5), abi::kMapWrite) == Error::NoRights, "map: write needs the Write right");
    check(map(slot(22), 2, slot(5), abi::kMapExecute) == Error::NoRights, "map: execute needs the Execute right");
    check(map(slot(22), 2, slot(1), abi::kMapWrite | abi::kMapExecute) == Error::Unsupported, "map: never writable and executable");
    check(map(slot(22), 0, slot(1)) == Error::SlotOccupied, "map: an occupied entry refused");
    check(map(kVSpace, 300, slot(20)) == Error::OutOfRange, "map: the kernel half refused");
    check(map(slot(21), 1, slot(1)) == Error::WrongType, "map: a frame is not a page table");
    check(map(slot(22), 512, slot(1)) == Error::OutOfRange, "map: entry index checked");
    check(unmap(slot(22), 1) == Error::Ok && read_or(kVa + 0x1000, 7) == 7, "unmap: the page faults again");
    check(unmap(slot(22), 1) == Error::NotFound, "unmap: twice refused");

    // Delete one copy: the object lives on in the other.
    check(remove(slot(4)) == Error::Ok && type_of(slot(4)) == CapType::Null && type_of(slot(0)) == CapType::Frame,
          "delete: one copy");
    check(remove(slot(4)) == Error::InvalidCap, "delete: an empty slot refused");
    // Revoking the RAM removes everything made from it, mappings included.
    check(revoke(kRam) == Error::Ok, "revoke: RAM");
    check(type_of(slot(0)) == CapType::Null && type_of(slot(5)) == CapType::Null && type_of(slot(22)) == CapType::Null,
          "revoke: every descendant is gone");
    check(read_or(kVa, 9) == 9, "revoke: the mapping is gone");
    check(type_of(kRam) == CapType::Ram, "revoke: the RAM itself stays");

    // User-level virtual memory on top: pages appear on first touch.
    constexpr u64 kLazy = 0x10000000000;  // 1 TiB
    serve_lazily(space, kLazy, 64 * 4096);
    u64 sum = 0;
    for (u64 i = 0; i < 16; ++i) *reinterpret_cast<volatile u64*>(kLazy + i * 4096) = i + 1;
    for (u64 i = 0; i < 16; ++i) sum += *reinterpret_cast<volatile u64*>(kLazy + i * 4096);
    check(sum == 16 * 17 / 2 && space.pages_made() == 16, "vm: lazy allocation on page faults");
    install_handler();
}

// Same-core protected control transfer: a second dispatcher of this domain
// serves an Endpoint; calls carry seven words, a badge and a capability.
constexpr u64 kQuit = 0xDEAD;
constexpr u32 kReceiveSlot = cap_address(abi::kSlotCNode, 250);
alignas(16) u8 g_server_stack[16384];

[[noreturn]] void echo_server(u64 endpoint) {
    Message reply{};
    for (;;) {
        Received r = reply_recv(static_cast<u32>(endpoint), reply, kReceiveSlot);
        if (r.error != Error::Ok || r.m.w[0] == kQuit) exit(0);  // ends without replying
        reply.w[0] = r.badge;
        for (int i = 1; i < 7; ++i) reply.w[i] = r.m.w[i] * 2;
        if (r.got_cap) {
            reply.w[6] = u64(type_of(kReceiveSlot));
            (void)remove(kReceiveSlot);
        }
    }
}

void test_protected_calls() {
    auto ep = space.make(u32(CapType::Endpoint), 6);
    auto badged = g_slots.next();
    check(ep.ok() && badged.ok() && mint(*ep, *badged, kAllRights, 0xB0B) == Error::Ok, "pct: an endpoint and a badged copy");
    if (!ep.ok() || !badged.ok()) return;
    auto server = start_dispatcher(space, 0x20000000000, echo_server,
                                   reinterpret_cast<u64>(g_server_stack + sizeof g_server_stack), *ep);
    check(server.ok(), "pct: a second dispatcher starts");
    if (!server.ok()) return;
    Message m{{1, 2, 3, 4, 5, 6, 7}};
    check(call(*badged, m) == Error::Ok, "pct: call");
    check(m.w[0] == 0xB0B && m.w[1] == 4 && m.w[5] == 12 && m.w[6] == 14, "pct: seven words and the badge arrive");
    for (u64 i = 0; i < 100; ++i) {
        Message n{{0, i, i + 1, i + 2, i + 3, i + 4, i + 5}};
        if (call(*badged, n) != Error::Ok || n.w[1] != 2 * i || n.w[6] != 2 * (i + 5)) {
            check(false, "pct: a hundred calls in a row");
            break;
        }
    }
    // A capability travels with a call when it has the Grant right.
    auto frame = space.make(u32(CapType::Frame), 12);
    Message c{{0, 0, 0, 0, 0, 0, 0}};
    check(frame.ok() && call(*badged, c, *frame) == Error::Ok && c.w[6] == u64(CapType::Frame), "pct: a capability is transferred");
    auto no_grant = g_slots.next();
    check(no_grant.ok() && mint(*frame, *no_grant, kRead | kWrite) == Error::Ok, "pct: a copy without Grant");
    Message d{{0, 0, 0, 0, 0, 0, 0}};
    check(call(*badged, d, *no_grant) == Error::NoRights, "pct: no Grant right, no transfer");
    check(call(kRam, d) == Error::WrongType, "pct: calling a non-endpoint");
    check(reply_recv(kRam, d).error == Error::WrongType, "pct: receiving on a non-endpoint");
    check(invoke(*server, abi::kDispatcherSetup, 0, 0, 0, 0).error != Error::Ok, "pct: a dispatcher is set up once");
    // The server ends without replying: the caller gets an error, not a hang.
    Message q{{kQuit, 0, 0, 0, 0, 0, 0}};
    check(call(*badged, q) == Error::Revoked, "pct: a callee that ends answers Revoked");
}

// The generated stubs over the same-core transport: the same CoreControl
// interface the CPU drivers speak across cores, served here by a dispatcher
// of this domain.
namespace cc = mk::idl::boot;
struct LocalControl {
    Status ping(const cc::CoreControl::PingParams& p, cc::CoreControl::PingResults& r) {
        r.seq = p.seq + 1;
        r.checksum = 0;
        for (u8 b : p.payload.view()) r.checksum += b;
        return {};
    }
    Status start_domains(const cc::CoreControl::StartDomainsParams&, cc::CoreControl::StartDomainsResults&) {
        return Error::Unsupported;
    }
    void test_fault(const cc::CoreControl::TestFaultParams&) {}
    void stop(const cc::CoreControl::StopParams&) { stopping = true; }
    Status attach_peer(const cc::CoreControl::AttachPeerParams&, cc::CoreControl::AttachPeerResults&) { return Error::Unsupported; }
    Status exchange(const cc::CoreControl::ExchangeParams&, cc::CoreControl::ExchangeResults&) { return Error::Unsupported; }
    Status measure_latency(const cc::CoreControl::MeasureLatencyParams&, cc::CoreControl::MeasureLatencyResults&) {
        return Error::Unsupported;
    }
    Status measure_throughput(const cc::CoreControl::MeasureThroughputParams&, cc::CoreControl::MeasureThroughputResults&) {
        return Error::Unsupported;
    }
    Status bench_shared(const cc::CoreControl::BenchSharedParams&, cc::CoreControl::BenchSharedResults&) {
        return Error::Unsupported;
    }
    bool stopping = false;
};
alignas(16) u8 g_stub_server_stack[16384];

[[noreturn]] void stub_server(u64 endpoint) {
    ServeTransport transport(static_cast<u32>(endpoint));
    LocalControl impl;
    cc::CoreControlServer<LocalControl, ServeTransport> server(impl, transport);
    while (!impl.stopping && transport.next_request() == Error::Ok) (void)server.poll();
    (void)transport.finish();  // the one-way stop still gets its acknowledgement
    exit(0);
}

void test_stubs_on_the_same_core() {
    auto ep = space.make(u32(CapType::Endpoint), 6);
    auto server = ep.ok() ? start_dispatcher(space, 0x30000000000, stub_server,
                                             reinterpret_cast<u64>(g_stub_server_stack + sizeof g_stub_server_stack), *ep)
                          : Result<u32>(ep.error());
    check(server.ok(), "stubs: a server dispatcher starts");
    if (!server.ok()) return;
    CallTransport transport(*ep);
    cc::CoreControlClient<CallTransport> client(transport);
    const u8 bytes[5] = {1, 2, 3, 4, 5};
    cc::CoreControl::PingResults r{};
    auto id = client.ping(41, Bytes(bytes, sizeof bytes), &r);
    check(id.ok() && client.wait(*id, 10).ok() && r.seq == 42 && r.checksum == 15, "stubs: ping over protected control transfer");
    auto refused = client.start_domains(0);
    check(refused.ok() && client.wait(*refused, 10).error() == Error::Unsupported, "stubs: a handler's error comes back");
    check(client.stop().ok(), "stubs: one-way request");
}

// A domain spawned at user level from a boot module (lib/user/spawn.hpp).
void test_spawn() {
    static Spawner spawner(space, 0x50000000000, 0x60000000000, 10, 11);
    auto ep = space.make(u32(CapType::Endpoint), 6);
    check(ep.ok(), "spawn: an endpoint for the child");
    if (!ep.ok()) return;
    auto child = spawner.spawn(g_ram, "hello", 77, *ep);
    check(child.ok(), "spawn: a program from a boot module starts in a new domain");
    if (!child.ok()) {
        printf("spawn failed: %s", error_name(child.error()));
        return;
    }
    Received r = reply_recv(*ep, Message{});
    check(r.error == Error::Ok && r.m.w[0] == 0x4E110 && r.m.w[1] == 77, "spawn: the new domain calls its parent");
    check(reply(Message{}) == Error::Ok, "spawn: the parent answers");
    check(spawner.spawn(g_ram, "no-such-module", 0, abi::kNoCap).error() == Error::NotFound,
          "spawn: an unknown module is refused");
}

// Destroying a live dispatcher and its endpoint (by revoking the RAM they
// came from) stops the dispatcher for good and wakes nobody into freed memory.
[[noreturn]] void waiting_server(u64 endpoint) {
    Message none{};
    reply_recv(static_cast<u32>(endpoint), none);
    printf("TEST FAILED: a destroyed dispatcher ran again");
    exit(1);
}
alignas(16) u8 g_waiting_stack[8192];

// The channel to this core's monitor, which started this program.
void test_monitor_link(u32 core, u32 cores) {
    auto link = MonitorLink::open(space, 0x70000000000);
    check(link.ok(), "monitor: a channel to the monitor in kTaskMonitorLink");
    if (!link.ok()) return;
    auto& monitor = (*link)->client();
    auto ask = [&](Result<idl::CallId> id) { return id.ok() ? (*link)->wait(*id) : Status(id.error()); };
    idl::monitor::Local::WhereAmIResults where{};
    check(ask(monitor.where_am_i(&where)).ok() && where.core == core && where.cores == cores && where.programs >= 2,
          "monitor: whereAmI answers with this core, the core count and its programs");
    u32 slot = g_slots.next().value_or(0);
    abi::CapIdentity ram{};
    check(ask(monitor.alloc_ram(16, slot)).ok() && identify(slot, ram) == Error::Ok && ram.type == u64(CapType::Ram) &&
              ram.bytes == 65536,
          "monitor: allocRam places 64 KiB of RAM in the named slot");
    u32 frame_slot = g_slots.next().value_or(0);
    check(retype(slot, CapType::Frame, 12, 1, 0, frame_slot) == Error::Ok, "monitor: the allocated RAM can be retyped");
    check(ask(monitor.alloc_ram(16, slot)).error() == Error::SlotOccupied, "monitor: allocRam into a full slot: SlotOccupied");
    check(ask(monitor.alloc_ram(40, g_slots.next().value_or(0))).error() == Error::OutOfRange,
          "monitor: allocRam of 2^40 bytes: OutOfRange");
    check(!ask(monitor.alloc_ram(16, abi::cap_address(63, 0))).ok(), "monitor: allocRam into a slot that does not exist fails");
}

void test_reclaim() {
    auto ep = space.make(u32(CapType::Endpoint), 6);
    auto server = ep.ok() ? start_dispatcher(space, 0x40000000000, waiting_server,
                                             reinterpret_cast<u64>(g_waiting_stack + sizeof g_waiting_stack), *ep)
                          : Result<u32>(ep.error());
    check(server.ok(), "reclaim: a server waits on its endpoint");
    if (!server.ok()) return;
    yield();  // let it block in kSysReplyRecv
    check(revoke(kRam) == Error::Ok, "reclaim: revoke the RAM under a live dispatcher and endpoint");
    Message m{};
    check(call(*ep, m) == Error::InvalidCap, "reclaim: the endpoint capability is gone");
    for (int i = 0; i < 3; ++i) yield();  // a resurrected server would print and fail the run
}

}  // namespace

extern "C" int domain_main(u32 core, u32 cores) {
    test_syscalls(core, cores);
    test_fault_upcalls();
    test_capabilities();
    test_protected_calls();
    test_stubs_on_the_same_core();
    test_spawn();
    test_monitor_link(core, cores);
    test_reclaim();
    printf("USERTEST core=%u passed=%d failed=%d", core, g_passed, g_failed);
    if (g_failed != 0) return 1;  // so the exit status tells (a spawner sees -1 only after every check passed)
    // Isolation: with no handler, touching kernel memory ends this domain only.
    frame().fault_handler = 0;
    *reinterpret_cast<volatile u64*>(0xFFFFFFFF80100000) = 1;
    printf("TEST FAILED: wrote to kernel memory");
    return 1;
}
