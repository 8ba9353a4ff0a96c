// Capabilities between programs on different cores, through the monitors
// (docs/monitor.md): every core's copy of this program makes a Frame, writes
// a pattern naming its core into it, and sends it to the next core's copy;
// it claims the Frame the previous core sent, finds it marked as having a
// remote copy, maps it and reads the previous core's pattern: the same
// physical memory, reached through a capability that crossed cores. Then the
// refusals: wrong types, bad cores, unknown tickets, full slots. Last, each
// copy revokes the Frame it received everywhere (an agreed operation): its
// own copy and the sender's original disappear.
#include "abi/caps.hpp"
#include "caprpc.hpp"
#include "check.hpp"
#include "user/caps.hpp"
#include "user/console.hpp"
#include "user/monitor_link.hpp"
#include "user/syscall.hpp"
#include "user/vm.hpp"

using namespace mk;
using namespace mk::user;
using mk::guest_test::check;
using mk::guest_test::g_failed;
using mk::guest_test::g_passed;

namespace {

constexpr u32 kRam = abi::cap_address(abi::kRamCNode, 0);
constexpr u32 kVSpace = abi::cap_address(abi::kTaskCNode, abi::kTaskVSpace);
constexpr u64 kMine = 0x50000000000, kTheirs = 0x50000001000, kLinkVa = 0x60000000000;
constexpr u64 kMagic = 0xCA9500000000;
SlotAllocator g_slots(abi::kSlotCNode2);

u64 now() {
    u32 lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (u64{hi} << 32) | lo;
}
RamAllocator g_ram(kRam, 1u << 20, g_slots);
AddressSpace g_space(kVSpace, g_ram);

}  // namespace

extern "C" int domain_main(u32 core, u32 cores) {
    auto link = MonitorLink::open(g_space, kLinkVa);
    check(link.ok(), "a channel to the monitor");
    if (!link.ok()) return 1;
    auto& monitor = (*link)->client();
    auto ask = [&](Result<idl::CallId> id) { return id.ok() ? (*link)->wait(*id) : Status(id.error()); };

    // A Frame with this core's pattern.
    auto mine = g_ram.make(u32(CapType::Frame), 12);
    check(mine.ok() && g_space.map_frame(kMine, *mine, abi::kMapWrite).ok(), "a Frame of our own, mapped");
    if (!mine.ok()) return 1;
    auto* words = reinterpret_cast<volatile u64*>(kMine);
    for (u64 i = 0; i < 512; ++i) words[i] = kMagic | (u64{core} << 16) | i;

    // The refusals first (they must change nothing).
    idl::monitor::Local::SendCapResults sent{};
    check(ask(monitor.send_cap(abi::cap_address(abi::kTaskCNode, abi::kTaskVSpace), (core + 1) % cores, &sent)).error() ==
                  (cores > 1 ? Error::WrongType : Error::InvalidArgument),
          "sendCap of a page table is refused");
    check(ask(monitor.send_cap(*mine, core, &sent)).error() == Error::InvalidArgument, "sendCap to our own core is refused");
    check(ask(monitor.send_cap(*mine, cores, &sent)).error() == Error::OutOfRange, "sendCap beyond the cores is refused");
    check(ask(monitor.send_cap(abi::cap_address(abi::kSlotCNode2, 255), (core + 1) % cores, &sent)).error() != Error::Ok,
          "sendCap of an empty slot is refused");
    check(ask(monitor.receive_cap(0xDEAD00000000, g_slots.next().value_or(0))).error() == Error::NotFound,
          "receiveCap of an unknown ticket: NotFound");
    abi::CapIdentity id{};
    check(identify(*mine, id) == Error::Ok && id.remote == 0, "refused sends left our Frame unmarked");

    if (cores == 1) {
        printf("CAPTEST core=%u passed=%d failed=%d (one core: no transfer)", core, g_passed, g_failed);
        return g_failed == 0 ? 0 : 1;
    }

    // Send ours to the next core.
    u32 next = (core + 1) % cores, previous = (core + cores - 1) % cores;
    check(ask(monitor.send_cap(*mine, next, &sent)).ok() && (sent.ticket >> 32) == core && (sent.ticket & 0xFFFFFF) == 0,
          "sendCap to the next core");
    check(identify(*mine, id) == Error::Ok && (id.remote & 1) != 0, "our Frame is now marked as having a remote copy");

    // Claim the previous core's: it may not have arrived yet.
    u32 theirs = g_slots.next().value_or(0);
    // Tickets are (core << 32) | (program tag << 24) | sequence: the same
    // program has the same tag on every core (docs/monitor.md).
    const u64 tag_bits = sent.ticket & (u64{0xFF} << 24);
    u64 ticket = (u64{previous} << 32) | tag_bits;
    Status claimed = Error::NotFound;
    const auto& df = *reinterpret_cast<const abi::DispatcherFrame*>(abi::kDispatcherFrameAddress);
    u64 until = now() + 10 * df.tsc_hz;  // ten seconds
    while (claimed.error() == Error::NotFound && now() < until) {
        claimed = ask(monitor.receive_cap(ticket, theirs));
        if (claimed.error() == Error::NotFound) yield();
    }
    check(claimed.ok(), "receiveCap of the previous core's Frame");
    if (!claimed.ok()) printf("receiveCap of ticket %lx: %s", ticket, error_name(claimed.error()));
    check(identify(theirs, id) == Error::Ok && id.type == u64(CapType::Frame) && id.bytes == 4096 && (id.remote & 1) != 0,
          "it arrives as a Frame marked as having a remote copy");
    bool same = claimed.ok() && g_space.map_frame(kTheirs, theirs, abi::kMapWrite).ok();
    auto* remote = reinterpret_cast<volatile u64*>(kTheirs);
    for (u64 i = 0; same && i < 512; ++i) same = remote[i] == (kMagic | (u64{previous} << 16) | i);
    check(same, "it is the previous core's memory, with its pattern");
    check(ask(monitor.receive_cap(ticket, g_slots.next().value_or(0))).error() == Error::NotFound,
          "a ticket is claimed once");

    // Retype across cores: 64 KiB of RAM sent to the next core has a copy on
    // two cores; its first page may become a Frame on only one of them. Each
    // core contends for its own RAM's page and for the one it received; the
    // harness checks that exactly one contender won per RAM object.
    u32 my_ram = g_slots.next().value_or(0), their_ram = g_slots.next().value_or(0);
    u32 won = 0;
    check(ask(monitor.alloc_ram(16, my_ram)).ok(), "allocRam of 64 KiB to send");
    check(ask(monitor.send_cap(my_ram, next, &sent)).ok() && sent.ticket == ((u64{core} << 32) | tag_bits | 1), "sendCap of RAM");
    claimed = Error::NotFound;
    until = now() + 10 * df.tsc_hz;
    while (claimed.error() == Error::NotFound && now() < until) {
        claimed = ask(monitor.receive_cap((u64{previous} << 32) | tag_bits | 1, their_ram));
        if (claimed.error() == Error::NotFound) yield();
    }
    check(claimed.ok(), "receiveCap of the previous core's RAM");
    check(retype(their_ram, CapType::Frame, 12, 1, 0, g_slots.next().value_or(0)) == Error::Busy,
          "a plain retype of RAM with a copy on another core: Busy");
    for (u32 ram : {their_ram, my_ram}) {
        Status r = Error::Busy;
        u32 dest = g_slots.next().value_or(0);
        while (r.error() == Error::Busy && now() < until + 10 * df.tsc_hz) {
            r = ask(monitor.retype_cap(ram, u32(CapType::Frame), 12, 0, dest));
            if (r.error() == Error::Busy) yield();
        }
        check(r.ok() || r.error() == Error::NoRights, "retypeCap: made, or refused for a conflict on another core");
        if (r.ok()) {
            ++won;
            check(identify(dest, id) == Error::Ok && id.type == u64(CapType::Frame) && id.bytes == 4096,
                  "retypeCap: the Frame is in our slot");
        }
    }

    // Revoke across cores: remove the Frame we received from the whole system
    // (an agreed operation); the previous core's original goes with it, and
    // ours goes when the next core does the same with the copy it received.
    check(ask(monitor.revoke_cap(abi::cap_address(abi::kTaskCNode, abi::kTaskVSpace))).error() == Error::WrongType,
          "revokeCap of a page table is refused");
    check(ask(monitor.revoke_cap(abi::cap_address(abi::kSlotCNode2, 254))).error() != Error::Ok,
          "revokeCap of an empty slot is refused");
    Status revoked = Error::Busy;
    while (revoked.error() == Error::Busy && now() < until) {  // the monitor may be agreeing on something else
        revoked = ask(monitor.revoke_cap(theirs));
        if (revoked.error() == Error::Busy) yield();
    }
    check(revoked.ok(), "revokeCap of the received Frame");
    check(identify(theirs, id) == Error::InvalidCap, "our copy of it is gone too");
    bool mine_gone = false;
    until = now() + 10 * df.tsc_hz;
    while (!mine_gone && now() < until) {
        mine_gone = identify(*mine, id) == Error::InvalidCap;
        if (!mine_gone) yield();
    }
    check(mine_gone, "our own Frame was removed by the next core's revoke");
    printf("CAPTEST core=%u passed=%d failed=%d retype_won=%u", core, g_passed, g_failed, won);

    // Capabilities as parameters and results of IDL calls between the copies.
    int rpc = mk::guest_test::run_cap_rpc(**link, g_space, g_slots, core, cores);
    return g_failed == 0 && rpc == 0 ? 0 : 1;
}
