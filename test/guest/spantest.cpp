// A domain that spans every core, and the TLB shootdown of its unmaps
// (docs/shootdown.md). Started on core 0 by `test`: it maps a page, writes a
// value, and runs a dispatcher of itself on every other core (Local.span),
// each of which reads the page in a loop, so every core holds a TLB entry
// for it. Then it unmaps the page (kVNodeUnmap, which flushes this core's
// TLB) and asks for the shootdown (Local.shootdown), which returns once every
// other core has flushed. From then on the page must be unreachable
// everywhere: it writes a new value into the same memory through a second
// mapping, and every span must take a page fault at the page's address and
// never read the new value (a span whose TLB kept the old translation would
// read it). Then the refusals of span and shootdown.
#include "check.hpp"
#include "span.hpp"
#include "user/console.hpp"

using namespace mk;
using namespace mk::user;
using namespace mk::guest_span;
using mk::guest_test::check;
using mk::guest_test::g_failed;
using mk::guest_test::g_passed;

namespace {

constexpr u32 kRam = abi::cap_address(abi::kRamCNode, 0);
constexpr u32 kVSpace = abi::cap_address(abi::kTaskCNode, abi::kTaskVSpace);
constexpr u64 kPage = 0x52000000000, kAlias = 0x52000100000, kLinkVa = 0x60000000000;
constexpr u64 kBefore = 0x5BA9BEF0BEF0, kAfter = 0x5BA9AF7E8AF7;

SlotAllocator g_slots(abi::kSlotCNode2);
RamAllocator g_ram(kRam, 1u << 20, g_slots);
AddressSpace g_space(kVSpace, g_ram);

constexpr u64 kRounds = 10;
constexpr u64 kDone = ~u64{0};
alignas(64) volatile u64 g_round = 0;

extern "C" [[noreturn]] void span_reader(u64 core);

// The page is gone on this core: note the round and start over, waiting for
// the next one (the handler edits the registers its kSysResume restores).
extern "C" [[noreturn]] void span_fault(u64 vector, u64 address, u64) {
    u32 core = this_core();
    SpanState& s = g_span[core];
    s.fault_vector = vector;
    s.fault_address = address;
    s.faulted = g_round;
    auto* f = reinterpret_cast<abi::DispatcherFrame*>(s.frame_va);
    if (vector != 14) exit(3);
    f->saved.rip = reinterpret_cast<u64>(&span_reader);
    f->saved.rdi = core;
    f->saved.rsp = reinterpret_cast<u64>(g_span_stack[core] + sizeof g_span_stack[core]) - 8;
    syscall(abi::kSysResume);
    exit(4);
}

// Reads the page while the round lasts; a round it faulted in is over for it.
extern "C" [[noreturn]] void span_reader(u64 core) {
    SpanState& s = span_begin(core, &span_fault);
    const auto* page = reinterpret_cast<const volatile u64*>(kPage);
    for (;;) {
        u64 round = g_round;
        if (round == kDone) exit(0);
        if (round == 0 || s.faulted == round) {
            asm volatile("pause");
            continue;
        }
        u64 v = *page;  // faults once the shootdown reached this core
        if (v == kAfter) s.stale = s.stale + 1;  // a translation that outlived the shootdown
        s.reads = s.reads + 1;
        s.generation = round;
    }
}

// Waits until `done(core)` holds for every span, or ten seconds. It spins
// (yielding every millisecond only), so that what comes next happens while
// the spans still run: a span that is switched out loses its TLB entries
// anyway, and only a running one could keep a stale translation.
template <typename Done>
bool wait_all(u32 core, u32 cores, Done done) {
    u64 hz = home_frame().tsc_hz, until = rdtsc() + 10 * hz, next_yield = rdtsc() + hz / 1000;
    for (;;) {
        bool all = true;
        for (u32 c = 0; c < cores && c < kMaxCores; ++c) all = all && (c == core || done(g_span[c]));
        if (all) return true;
        u64 now = rdtsc();
        if (now > until) return false;
        if (now > next_yield) {
            yield();
            next_yield = rdtsc() + hz / 1000;
        }
        asm volatile("pause");
    }
}

}  // namespace

extern "C" int domain_main(u32 core, u32 cores) {
    auto link = MonitorLink::open(g_space, kLinkVa);
    check(link.ok(), "a channel to the monitor");
    if (!link.ok()) return 1;
    auto& monitor = (*link)->client();
    auto ask = [&](Result<idl::CallId> id) { return id.ok() ? (*link)->wait(*id) : Status(id.error()); };
    idl::monitor::Local::ShootdownResults sd{};

    // The page, and a second mapping of the same memory.
    auto page = g_space.map_new_page(kPage);
    check(page.ok() && g_space.map_frame(kAlias, *page, abi::kMapWrite).ok(), "a page, mapped twice");
    if (!page.ok()) return 1;
    *reinterpret_cast<volatile u64*>(kPage) = kBefore;

    // Before any span: a shootdown has nobody to ask.
    check(ask(monitor.shootdown(kPage, 1, &sd)).error() == Error::NotFound, "shootdown without a span: NotFound");

    u32 spans = span_everywhere(monitor, **link, g_space, g_slots, core, cores, &span_reader);
    u32 wanted = (cores < kMaxCores ? cores : kMaxCores) - 1;
    check(spans == wanted, "a span on every other core");
    check(wait_all(core, cores, [](const SpanState& s) { return s.ready != 0; }), "every span installed its handler");

    // Rounds: map the page, let every span read it, unmap it here, shoot it
    // down, and write the new value through the alias; every span must fault
    // in that round. The more rounds, the likelier a span that runs while the
    // unmap happens (only then would a missing shootdown leave it a stale entry).
    u32 faulted = 0, stale = 0, shot_ok = 0;
    bool all_read = true, all_ended = true;
    for (u64 round = 1; round <= kRounds; ++round) {
        if (round > 1 && !g_space.map_frame(kPage, *page, abi::kMapWrite).ok()) break;
        *reinterpret_cast<volatile u64*>(kAlias) = kBefore;
        g_round = round;
        all_read = all_read && wait_all(core, cores, [round](const SpanState& s) { return s.generation == round; });
        if (!g_space.unmap_page(kPage).ok()) break;
        Status shot = spans == 0 ? Status{} : ask(monitor.shootdown(kPage, 1, &sd));
        if (shot.ok() && (spans == 0 || sd.cores == spans)) ++shot_ok;
        else printf("round %lu: shootdown: %s (%u cores)", round, error_name(shot.error()), sd.cores);
        *reinterpret_cast<volatile u64*>(kAlias) = kAfter;
        all_ended = all_ended && wait_all(core, cores, [round](const SpanState& s) { return s.faulted == round; });
    }
    g_round = kDone;
    for (u32 c = 0; c < cores && c < kMaxCores; ++c) {
        if (c == core) continue;
        const SpanState& s = g_span[c];
        if (s.faulted == kRounds && s.fault_vector == 14 && s.fault_address == kPage) ++faulted;
        if (s.stale != 0) {
            ++stale;
            printf("core %u read the page after a shootdown (%lu times)", c, s.stale);
        }
    }
    check(all_read, "every span read the page in every round");
    check(shot_ok == kRounds, "every shootdown acknowledged by every span's core");
    check(all_ended, "every span faulted on the page in every round");
    check(faulted == spans, "every span's last fault: a #PF at the unmapped page");
    check(stale == 0, "no span read the page after a shootdown");

    // The refusals (they change nothing).
    u32 slot = g_slots.next().value_or(0);
    auto entry = reinterpret_cast<u64>(&span_reader);
    u64 top = reinterpret_cast<u64>(g_span_stack[0] + sizeof g_span_stack[0]);
    check(ask(monitor.span(core, entry, top, 0, slot)).error() == Error::InvalidArgument, "span onto our own core");
    check(ask(monitor.span(cores, entry, top, 0, slot)).error() == Error::OutOfRange, "span beyond the cores");
    check(ask(monitor.shootdown(kPage + 8, 1, &sd)).error() == Error::InvalidArgument, "shootdown of an unaligned address");
    check(ask(monitor.shootdown(kPage, 0, &sd)).error() == Error::InvalidArgument, "shootdown of no pages");
    check(ask(monitor.shootdown(0x7FFFFFFFF000, 2, &sd)).error() == Error::OutOfRange, "shootdown beyond the user half");
    if (cores > 1) {
        u32 other = (core + 1) % cores;
        check(ask(monitor.span(other, entry, top, 0, slot)).error() == Error::Busy, "a second span onto one core");
        check(ask(monitor.span(other, 0, top, 0, slot)).error() == Error::InvalidArgument, "span with entry 0");
        abi::CapIdentity id{};
        check(identify(slot, id) != Error::Ok, "refused spans placed no frame");
        check(ask(monitor.shootdown(kPage, 1, &sd)).ok() && sd.cores == spans, "a shootdown after the spans ended");
    }
    printf("SPANTEST core=%u cores=%u spans=%u faulted=%u stale=%u passed=%d failed=%d", core, cores, spans, faulted,
           stale, g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
