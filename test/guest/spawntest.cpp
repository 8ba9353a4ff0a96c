// Spawn across cores (docs/services/spawn.md). Started as `run=spawntest`
// on core 0 (no argument text), it is the parent:
//   * requests that must be refused, starting nothing: an unknown module, a
//     core that does not exist, no core, an empty capability slot;
//   * a child on every core (this one too) with the argument "child K" and a
//     4 KiB Frame: each child finds the parent's magic word in the Frame,
//     writes core * 1000 + K into its own line of it and ends with exit code
//     K + core (+100 if the Frame or the argument was wrong), so the exit
//     statuses and the Frame together show that argument and capability arrived;
//   * a child that faults ("fault") on the last core: exit status -1;
//   * children that wait ("hold") on the last core until the table there is
//     full: the next spawn reports Full; released, they end with 0, and a
//     spawn works again (ended records are reused).
// Two more argument texts serve the shell and its test: "exit K" ends with
// exit code K, "sleep MS" yields for MS milliseconds, then ends with 0.
// It prints SPAWNTEST ok ... or the failed checks (TEST FAILED: ...).
#include "abi/caps.hpp"
#include "base/format.hpp"
#include "base/string.hpp"
#include "check.hpp"
#include "shell/command.hpp"
#include "user/caps.hpp"
#include "user/console.hpp"
#include "user/domains.hpp"
#include "user/monitor_link.hpp"
#include "user/syscall.hpp"
#include "user/vm.hpp"

using namespace mk;
using namespace mk::user;
using guest_test::check;

namespace {

constexpr u32 kRam = abi::cap_address(abi::kRamCNode, 0);
constexpr u32 kVSpace = abi::cap_address(abi::kTaskCNode, abi::kTaskVSpace);
constexpr u32 kSpawnCap = abi::cap_address(abi::kTaskCNode, abi::kTaskSpawnCap);
constexpr u64 kShareVa = 0x50000000000, kLinkVa = 0x60000000000;
constexpr u64 kMagic = 0x5EED5EED;
constexpr u32 kK = 7;
constexpr usize kMaxHeld = 32;

SlotAllocator g_slots(abi::kSlotCNode2);
RamAllocator g_ram(kRam, 1u << 20, g_slots);
AddressSpace g_space(kVSpace, g_ram);

// The shared Frame: word 0 the magic, word 1 the hold flag, a line per core after.
struct Share {
    volatile u64 magic;
    volatile u64 release;
    u64 pad[6];
    struct alignas(64) Line {
        volatile u64 value;
    } line[63];  // cores 0..62: the Frame is 4 KiB
};
static_assert(sizeof(Share) == 4096);

u64 rdtsc() {
    u32 lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (u64{hi} << 32) | lo;
}
u64 tsc_hz() { return reinterpret_cast<const abi::DispatcherFrame*>(abi::kDispatcherFrameAddress)->tsc_hz; }

int child(MonitorLink& link, u32 core, const char* args) {
    (void)link;
    if (str_starts_with(args, "exit ")) {
        auto k = shell::parse_u64(args + 5);
        return k.ok() && *k < 256 ? static_cast<int>(*k) : 206;
    }
    if (str_starts_with(args, "sleep ")) {
        auto ms = shell::parse_u64(args + 6);
        if (!ms.ok() || *ms > 3600000) return 207;
        u64 until = rdtsc() + *ms * (tsc_hz() / 1000);
        while (rdtsc() < until) yield();
        return 0;
    }
    if (str_eq(args, "fault")) {
        *reinterpret_cast<volatile u64*>(8) = 1;  // the CPU driver ends this domain: exit status -1
        return 0;
    }
    abi::CapIdentity id{};
    if (identify(kSpawnCap, id) != Error::Ok || id.type != u64(CapType::Frame)) return 200;
    if (!g_space.map_frame(kShareVa, kSpawnCap, abi::kMapWrite).ok()) return 201;
    auto& share = *reinterpret_cast<Share*>(kShareVa);
    if (str_eq(args, "hold")) {
        u64 until = rdtsc() + 120 * tsc_hz();
        while (share.release == 0 && rdtsc() < until) yield();
        return share.release != 0 ? 0 : 202;
    }
    if (!str_starts_with(args, "child ")) return 203;
    auto k = shell::parse_u64(args + 6);
    if (!k.ok()) return 204;
    if (core >= 63) return 205;
    share.line[core].value = core * 1000 + *k;
    return static_cast<int>(*k + core + (share.magic == kMagic ? 0 : 100));
}

// Local.spawn; the results of every core asked.
Status spawn(MonitorLink& link, const char* name, u64 cores, const char* args, u32 cap,
             idl::monitor::Local::SpawnResults& r) {
    auto call = link.client().spawn(name, cores, args, cap, &r);
    if (!call.ok()) return call.error();
    return link.wait(*call);
}

Result<i32> wait_for(MonitorLink& link, u64 id) {
    u64 until = rdtsc() + 120 * tsc_hz();
    return wait_domain(link, id, [until] { return rdtsc() > until; });
}

int parent(MonitorLink& link, u32 core, u32 cores) {
    idl::monitor::Local::SpawnResults r{};
    u64 all = cores >= 64 ? ~u64{0} : (u64{1} << cores) - 1;

    // Refusals first: each starts nothing.
    check(spawn(link, "nosuchmodule", all, "", kNoCapSlot, r).error() == Error::NotFound, "spawn of a missing module: NotFound");
    check(spawn(link, "spawntest", u64{1} << cores, "", kNoCapSlot, r).error() == Error::OutOfRange,
          "spawn on a core that does not exist: OutOfRange");
    check(spawn(link, "spawntest", 0, "", kNoCapSlot, r).error() == Error::OutOfRange, "spawn on no core: OutOfRange");
    u32 empty = g_slots.next().value_or(0);
    check(!spawn(link, "spawntest", all, "child 1", empty, r).ok(), "spawn with an empty capability slot is refused");

    // The shared Frame, from the monitor's pool.
    u32 ram = g_slots.next().value_or(0), frame = g_slots.next().value_or(0);
    idl::monitor::Local::AllocRamResults none{};
    auto call = link.client().alloc_ram(12, ram, &none);
    bool have = call.ok() && link.wait(*call).ok() && retype(ram, CapType::Frame, 12, 1, 0, frame) == Error::Ok &&
                g_space.map_frame(kShareVa, frame, abi::kMapWrite).ok();
    check(have, "a 4 KiB Frame to share");
    if (!have) return 1;
    auto& share = *reinterpret_cast<Share*>(kShareVa);
    share.magic = kMagic;

    // A child on every core with an argument and the Frame.
    char args[32];
    format(args, sizeof args, "child %u", kK);
    Status s = spawn(link, "spawntest", all, args, frame, r);
    check(s.ok() && r.results.size == cores, "spawn on every core");
    u32 passed = 0;
    for (u32 i = 0; s.ok() && i < r.results.size; ++i) {
        const auto& one = r.results.items[i];
        check(one.error == 0 && (one.id >> 32) == one.core, "each core started its child");
        if (one.error != 0) {
            printf("core %u: %s", one.core, error_name(static_cast<Error>(one.error)));
            continue;
        }
        auto code = wait_for(link, one.id);
        bool ok = code.ok() && *code == static_cast<i32>(kK + one.core) && share.line[one.core].value == one.core * 1000 + kK;
        if (!ok) printf("child on core %u: exit %d, wrote %lu", one.core, code.value_or(-999), share.line[one.core].value);
        check(ok, "a child's exit status and Frame line show its argument and capability");
        if (ok) ++passed;
    }

    // A fault ends the child with -1.
    u32 last = cores - 1;
    s = spawn(link, "spawntest", u64{1} << last, "fault", kNoCapSlot, r);
    bool faulted = s.ok() && r.results.size == 1 && r.results.items[0].error == 0;
    auto code = faulted ? wait_for(link, r.results.items[0].id) : Result<i32>(Error::NotFound);
    check(code.ok() && *code == -1, "a child that faults: exit status -1");

    // Too many programs on one core: Full, and nothing else changes.
    u64 held[kMaxHeld] = {};
    u32 holding = 0;
    bool full = false;
    while (holding < kMaxHeld && !full) {
        s = spawn(link, "spawntest", u64{1} << last, "hold", frame, r);
        if (!s.ok() || r.results.size != 1) break;
        if (r.results.items[0].error == static_cast<u32>(Error::Full)) full = true;
        else if (r.results.items[0].error == 0) held[holding++] = r.results.items[0].id;
        else break;
    }
    check(full && holding >= 1, "spawn on a core whose program table is full: Full");
    share.release = 1;
    u32 released = 0;
    for (u32 i = 0; i < holding; ++i) {
        auto c = wait_for(link, held[i]);
        if (c.ok() && *c == 0) ++released;
    }
    check(released == holding, "the held children end with 0 once released");
    s = spawn(link, "spawntest", u64{1} << last, "child 1", frame, r);
    bool again = s.ok() && r.results.size == 1 && r.results.items[0].error == 0;
    auto code2 = again ? wait_for(link, r.results.items[0].id) : Result<i32>(Error::NotFound);
    check(code2.ok() && *code2 == static_cast<i32>(1 + last), "a spawn after the full table emptied");
    (void)core;

    printf("SPAWNTEST %s cores=%u children=%u passed=%d failed=%d held=%u", guest_test::g_failed == 0 ? "ok" : "FAILED",
           cores, passed, guest_test::g_passed, guest_test::g_failed, holding);
    return guest_test::g_failed == 0 ? 0 : 1;
}

}  // namespace

extern "C" int domain_main(u32 core, u32 cores) {
    auto link = MonitorLink::open(g_space, kLinkVa);
    if (!link.ok()) {
        printf("SPAWNTEST FAILED: no channel to the monitor");
        return 1;
    }
    // Ask for the argument first: once the monitor answers, everything it
    // gives this domain (the capability) is in place.
    idl::monitor::Local::ArgsResults a{};
    auto call = (*link)->client().args(&a);
    if (!call.ok() || !(*link)->wait(*call).ok()) return 1;
    if (a.text.size == 0) return parent(**link, core, cores);
    return child(**link, core, a.text.chars);
}
