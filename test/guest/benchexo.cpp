// The exokernel measurements, run as a user domain on core 0 (kernel command
// line `run=benchexo`): the cost of the basic protected operations, printed
// as CSV rows (docs/benchmarks.md). Under QEMU -icount shift=0 the TSC ticks
// once per guest instruction, so the figures are exact instruction counts.
//   null_syscall   SYSCALL into the CPU driver and back (kSysNull)
//   fault_upcall   an exception (#UD) delivered to this domain's handler,
//                  which resumes the interrupted code (kSysResume)
//   pct_roundtrip  a same-core protected control transfer round trip: call an
//                  Endpoint served by another dispatcher, seven words each way
//   domain_spawn   spawning the `hello` boot module at user level (parse the
//                  ELF, make and map its pages, capability space, dispatcher)
//                  until the new domain's first call reaches its parent
#include "abi/syscalls.hpp"
#include "base/sort.hpp"
#include "user/caps.hpp"
#include "user/console.hpp"
#include "user/dispatch.hpp"
#include "user/pct.hpp"
#include "user/spawn.hpp"
#include "user/syscall.hpp"
#include "user/vm.hpp"

using namespace mk;
using namespace mk::user;

namespace {

constexpr int kWarmup = 100;
constexpr int kSamples = 2000;
u64 g_samples[kSamples];
int g_sample_count = kSamples;

inline u64 rdtsc() {
    u32 lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (u64{hi} << 32) | lo;
}

abi::DispatcherFrame& frame() { return *reinterpret_cast<abi::DispatcherFrame*>(abi::kDispatcherFrameAddress); }

// One row: the unit is instructions under icount (1 GHz TSC), else ns.
void report(const char* metric, u32 cores) {
    const int kSamples = g_sample_count;
    sort_in_place(g_samples, kSamples);
    bool icount = frame().tsc_hz == 1000000000;
    u64 scale_num = icount ? 1 : 1000000000, scale_den = icount ? 1 : frame().tsc_hz;
    u64 median = g_samples[kSamples / 2] * scale_num / scale_den;
    u64 p99 = g_samples[kSamples * 99 / 100] * scale_num / scale_den;
    printf("CSV exo,%s,%s,%u,0,0,%s,%lu,%lu,%d", metric, icount ? "icount" : "mttcg", cores, icount ? "insns" : "ns",
           median, p99, kSamples);
}

volatile u64 g_resume_at;
alignas(16) u8 g_handler_stack[8192];

extern "C" [[noreturn]] void resume_after_fault(u64, u64, u64) {
    frame().saved.rip = g_resume_at;
    syscall(abi::kSysResume);
    exit(98);
}

alignas(16) u8 g_server_stack[16384];

[[noreturn]] void echo_server(u64 endpoint) {
    Message reply{};
    for (;;) {
        Received r = reply_recv(static_cast<u32>(endpoint), reply);
        if (r.error != Error::Ok || r.m.w[0] == 1) exit(0);
        reply = r.m;
    }
}

// The first 2 MiB of the domain's 4 MiB of RAM make what lives on (the
// servers, the module mappings); a naturally aligned 1 MiB above them, a RAM
// capability of its own, makes each spawned domain and is revoked after each sample.
constexpr u32 kRam = abi::cap_address(abi::kRamCNode, 0);
constexpr u32 kChildRam = abi::cap_address(abi::kSlotCNode2, 255);
SlotAllocator g_slots(abi::kSlotCNode);
RamAllocator g_ram(kRam, 2u << 20, g_slots);
AddressSpace space(abi::cap_address(abi::kTaskCNode, abi::kTaskVSpace), g_ram);

bool measure_spawn(u32 cores) {
    constexpr int kSpawns = 40, kSpawnWarmup = 3;
    abi::CapIdentity ram{};
    if (identify(kRam, ram) != Error::Ok) return false;
    u64 offset = align_up(ram.base + (2u << 20), 1u << 20) - ram.base;
    Error e = retype(kRam, CapType::Ram, 20, 1, offset, kChildRam);
    if (e != Error::Ok) {
        printf("benchexo: no RAM for spawning: %s", error_name(e));
        return false;
    }
    static Spawner spawner(space, 0x50000000000, 0x60000000000, 10, 11);
    auto ep = space.make(u32(CapType::Endpoint), 6);
    if (!ep.ok()) return false;
    for (int i = 0; i < kSpawnWarmup + kSpawns; ++i) {
        SlotAllocator child_slots(abi::kSlotCNode2);
        RamAllocator child_ram(kChildRam, 1u << 20, child_slots);
        u64 t0 = rdtsc();
        auto child = spawner.spawn(child_ram, "hello", static_cast<u64>(i), *ep);
        if (!child.ok()) {
            printf("benchexo: spawn failed: %s", error_name(child.error()));
            return false;
        }
        Received r = reply_recv(*ep, Message{});
        u64 t1 = rdtsc();
        if (r.error != Error::Ok || r.m.w[1] != static_cast<u64>(i)) {
            printf("benchexo: the spawned domain did not call: %s", error_name(r.error));
            return false;
        }
        if (i >= kSpawnWarmup) g_samples[i - kSpawnWarmup] = t1 - t0;
        (void)reply(Message{});
        Error revoked = revoke(kChildRam);  // the child and everything it was made of
        if (revoked != Error::Ok) {
            printf("benchexo: revoke failed: %s", error_name(revoked));
            return false;
        }
    }
    g_sample_count = kSpawns;
    report("domain_spawn", cores);
    g_sample_count = kSamples;
    return true;
}

bool measure_pct(u32 cores) {
    auto ep = space.make(u32(CapType::Endpoint), 6);
    if (!ep.ok()) return false;
    auto server = start_dispatcher(space, 0x20000000000, echo_server,
                                   reinterpret_cast<u64>(g_server_stack + sizeof g_server_stack), *ep);
    if (!server.ok()) return false;
    for (int i = 0; i < kWarmup + kSamples; ++i) {
        Message m{{0, 1, 2, 3, 4, 5, 6}};
        u64 t0 = rdtsc();
        Error e = call(*ep, m);
        u64 t1 = rdtsc();
        if (e != Error::Ok) return false;
        if (i >= kWarmup) g_samples[i - kWarmup] = t1 - t0;
    }
    report("pct_roundtrip", cores);
    Message quit{{1, 0, 0, 0, 0, 0, 0}};
    (void)call(*ep, quit);
    return true;
}

}  // namespace

extern "C" int domain_main(u32, u32 cores) {
    for (int i = 0; i < kWarmup + kSamples; ++i) {
        u64 t0 = rdtsc();
        syscall(abi::kSysNull);
        u64 t1 = rdtsc();
        if (i >= kWarmup) g_samples[i - kWarmup] = t1 - t0;
    }
    report("null_syscall", cores);

    frame().fault_handler = reinterpret_cast<u64>(&resume_after_fault);
    frame().fault_stack_top = reinterpret_cast<u64>(g_handler_stack + sizeof g_handler_stack);
    for (int i = 0; i < kWarmup + kSamples; ++i) {
        u64 t0 = rdtsc();
        asm volatile("lea 1f(%%rip), %%rax\n mov %%rax, %0\n ud2\n 1:" : "=m"(g_resume_at) : : "rax", "memory");
        u64 t1 = rdtsc();
        if (i >= kWarmup) g_samples[i - kWarmup] = t1 - t0;
    }
    report("fault_upcall", cores);
    if (!measure_pct(cores)) printf("benchexo: the protected control transfer could not be measured");
    if (!measure_spawn(cores)) printf("benchexo: domain spawn could not be measured");
    printf("BENCH exo done");
    return 0;
}
