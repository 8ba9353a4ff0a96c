// The bootstrap processor's path: from the boot loader to every core ready.
//
//   1. console, direct map, boot information (Multiboot1 or 2)
//   2. TSC calibration against the PIT, cores from the ACPI MADT
//   3. free memory cut into one share per core
//   4. the BSP becomes CPU driver 0 (its own Core, tables, page table, timer)
//   5. every other core is started and answers on its URPC link (idl/boot.capnp):
//      by the BSP's own CPU driver for the kernel-level experiments, otherwise
//      by core 0's monitor through its Kernel capability (start_core_for_monitor)
//   6. the boot report, then what the command line asks for
//
// docs/boot.md walks through the same steps with the reasons behind them.
#include "base/format.hpp"
#include "base/string.hpp"
#include <new>
#include "boot/acpi.hpp"
#include "boot/boot_info.hpp"
#include "boot/cmdline.hpp"
#include "bench_shared.hpp"
#include "bsp.hpp"
#include "console.hpp"
#include "core_setup.hpp"
#include "domains.hpp"
#include "ioapic.hpp"
#include "lapic.hpp"
#include "layout.h"
#include "mem/range_set.hpp"
#include "paging.hpp"
#include "power.hpp"
#include "test_faults.hpp"
#include "traps.hpp"
#include "tsc.hpp"
#include "x86.hpp"

extern "C" mk::u64 boot_entry_tsc;
extern "C" const mk::u8 bsp_stack[];
extern "C" const mk::u8 bsp_stack_top[];
extern "C" const mk::u8 __bss_end_phys[];

namespace mk {

namespace {

// Written by the BSP before any other core starts; read-only afterwards.
boot::BootInfo g_boot_info;
// The BSP's own bookkeeping; no other core touches it.
boot::MadtInfo g_madt;
BspPeers g_peers;  // core 0 only

// Whether core 0's monitor starts the other cores (see bsp_main).
bool g_cores_by_monitor = false;
u32 g_timer_count = 0;  // the LAPIC timer count for 100 Hz, measured on core 0

bool core_ready(u32 n) { return n != 0 && g_peers.link[n] != nullptr && g_peers.link[n]->ready; }
mem::RangeSet g_shares[smp::kMaxCores];

constexpr const char* kKnownWords[] = {"shutdown",   "demo",       "idle", "test",  "test-fault",
                                      "fault-core", "no-monitor", "run",  "icount", "pairs", "bench-urpc",
                                      "bench-shared", "agree", "bench-agree"};

[[noreturn]] void fail(const char* what, Error e) {
    console::log("%s: %s", what, error_name(e));
    console::log("FAILED: boot stopped");
    power::exit(power::Status::Failure);
}

// Every word must be one we know: a typo is an error, not a silent no-op.
void check_command_line(const char* text) {
    char word[64];
    const char* p = text;
    while (*p != '\0') {
        while (*p == ' ') ++p;
        usize n = 0;
        while (p[n] != '\0' && p[n] != ' ' && p[n] != '=') ++n;
        if (n == 0) break;
        str_copy(word, p, n + 1 < sizeof word ? n + 1 : sizeof word);
        bool known = false;
        for (const char* k : kKnownWords) known = known || str_eq(word, k);
        if (!known) {
            console::log("error: unknown kernel command-line word '%s' (known: shutdown demo idle "
                         "no-monitor test run=MODULE[:all] icount pairs bench-urpc bench-shared bench-agree[=N] agree=flat|tree "
                         "test-fault=ud|pf|gp|de|panic fault-core=N)", word);
            console::log("FAILED: bad command line");
            power::exit(power::Status::Failure);
        }
        while (*p != '\0' && *p != ' ') ++p;
    }
}

void mask_legacy_pic() {
    // The BIOS leaves the 8259 PICs programmed onto exception vectors; every
    // interrupt here comes through the local APIC instead.
    x86::outb(0x21, 0xFF);
    x86::outb(0xA1, 0xFF);
}

mem::RangeSet free_memory(const boot::BootInfo& bi) {
    mem::RangeSet free;
    for (usize i = 0; i < bi.region_count; ++i) {
        const auto& r = bi.regions[i];
        if (r.type != boot::MemoryType::Usable) continue;
        PhysAddr end = r.base + r.length;
        if (end > DIRECT_MAP_SIZE) end = DIRECT_MAP_SIZE;  // only the direct-mapped 4 GiB is used
        if (r.base < end && !free.add(r.base, end).ok()) console::log("memory map: too many ranges, some unused");
    }
    // Keep out: low memory (BIOS data, the trampoline), the kernel image,
    // the modules and the loader's information structure.
    (void)free.remove(0, 0x100000);
    (void)free.remove(KERNEL_PHYS_BASE, reinterpret_cast<u64>(__bss_end_phys));
    for (usize i = 0; i < bi.module_count; ++i) (void)free.remove(bi.modules[i].start, bi.modules[i].end);
    (void)free.remove(bi.info_start, bi.info_end);
    free.page_align();
    return free;
}

void discover_cores() {
    boot::PhysView phys(0, static_cast<const u8*>(paging::phys_to_virt(0)), DIRECT_MAP_SIZE);
    const u8* rsdp = g_boot_info.rsdp;
    usize rsdp_length = g_boot_info.rsdp_length;
    if (rsdp_length == 0) {
        auto found = boot::find_rsdp_in_bios(phys);
        if (!found.ok()) fail("ACPI: no RSDP from the loader or in the BIOS area", found.error());
        rsdp = phys.at(*found, 20);
        rsdp_length = phys.at(*found, 36) != nullptr ? 36 : 20;
    }
    Status s = boot::parse_madt_from_rsdp(phys, rsdp, rsdp_length, g_madt);
    if (!s.ok()) fail("ACPI: cannot read the MADT", s.error());
    if (g_madt.cpus_ignored != 0) console::log("ACPI: %zu cores beyond %zu ignored", g_madt.cpus_ignored, smp::kMaxCores);
}

// Orders the cores so that the BSP is number 0 and the rest follow MADT order.
void number_cores(u32 bsp_apic_id) {
    g_peers.count = 0;
    g_peers.apic[g_peers.count++] = bsp_apic_id;
    for (usize i = 0; i < g_madt.cpu_count && g_peers.count < smp::kMaxCores; ++i) {
        if (g_madt.cpus[i].apic_id != bsp_apic_id) g_peers.apic[g_peers.count++] = g_madt.cpus[i].apic_id;
    }
}

void print_boot_report(u64 ready_tsc, usize ready) {
    u64 us = tsc::cycles_to_us(ready_tsc - *paging::boot_section_ptr(&boot_entry_tsc));
    console::log("BOOT cores=%zu ready=%zu entry_to_ready_us=%lu", g_peers.count, ready, us);
    char buf[600];
    LineBuffer line(buf, sizeof buf);
    line.append("%zu of %zu cores ready:", ready, g_peers.count);
    for (u32 n = 0; n < g_peers.count; ++n) {
        line.append(" c%u(apic %u%s)", n, g_peers.apic[n], n == 0 ? ", BSP" : core_ready(n) ? "" : ", NOT READY");
    }
    console::log("%s", line.c_str());
}

void print_motd() {
    for (usize i = 0; i < g_boot_info.module_count; ++i) {
        const auto& m = g_boot_info.modules[i];
        if (!boot::module_is(m, "motd")) continue;
        auto* text = static_cast<const char*>(paging::phys_to_virt(m.start));
        usize len = m.end - m.start;
        char line[200];
        usize n = 0;
        for (usize k = 0; k <= len; ++k) {
            char c = k < len ? text[k] : '\n';
            if (c == '\n' || n + 1 == sizeof line) {
                line[n] = '\0';
                if (n > 0) console::log("motd: %s", line);
                n = 0;
            } else if (c >= ' ' && c < 127) {
                line[n++] = c;
            }
        }
    }
}

[[noreturn]] void stop_all_cores_and_exit() {
    usize stopped = 1;
    for (u32 n = 1; n < g_peers.count; ++n) {
        if (!core_ready(n)) continue;
        CoreLink& l = *g_peers.link[n];
        if (l.control.stop().ok()) wake_if_sleeping(l.ep, l.apic);
        if (wait_for_core(n, [](CoreLink& c) { return c.stopped; }, 2000000)) {
            ++stopped;
        } else {
            console::log("shutdown: core %u did not confirm it stopped", n);
        }
    }
    bool all = stopped == g_peers.count;
    console::log("SHUTDOWN %s cores_stopped=%zu", all ? "ok" : "incomplete", stopped);
    power::exit(all ? power::Status::Success : power::Status::Failure);
}

// What happens once the boot work is done: power off (shutdown, demo) or idle.
bool g_finish_with_shutdown = false;

void finish_run() {
    if (g_finish_with_shutdown) stop_all_cores_and_exit();
    console::log("all cores idle; quit QEMU with Ctrl-A X");
}

// Core 0's idle hook while domains run: once its own domains have ended,
// wait for every other core to report the same, then finish the run.
void bsp_idle_hook() {
    static bool finished = false;  // core 0 only
    if (finished || this_core().scheduler.live() != 0) return;
    finished = true;
    for (u32 n = 1; n < g_peers.count; ++n) {
        if (!core_ready(n) || !g_peers.link[n]->domains_started) continue;
        if (!wait_for_core(n, [](CoreLink& c) { return c.domains_ended; }, 10000000)) {
            console::log("core %u did not report that its domains ended", n);
        }
    }
    console::log("USER all monitors ended");
    finish_run();
}

// Core 0 loads its monitor and runs its scheduler; the monitor starts the
// other cores' monitors (and the cores themselves, if they are not up yet)
// through its Kernel capability, which lands in start_core_for_monitor().
[[noreturn]] void start_monitors(Core& core) {
    start_core_domains(g_boot_info, 0);
    auto idle_stack = core.memory.alloc(2);
    if (!idle_stack.ok()) fail("memory: no idle stack for core 0", idle_stack.error());
    core.scheduler.start(reinterpret_cast<u64>(paging::phys_to_virt(*idle_stack)) + 2 * kPageSize, bsp_idle_hook);
}

// Brings core n's CPU driver up through the trampoline and waits until it
// reports ready on its link. False if it does not.
bool boot_core(u32 n) {
    Core& core = this_core();
    auto frame = core.memory.alloc();
    auto state = core.memory.alloc(align_up(sizeof(CoreLink), kPageSize) / kPageSize);
    if (!frame.ok() || !state.ok()) {
        console::log("memory: no link for core %u", n);
        return false;
    }
    auto* link = static_cast<urpc::Frame*>(paging::phys_to_virt(*frame));
    link->reset();
    g_peers.link[n] = new (paging::phys_to_virt(*state)) CoreLink(*link, g_peers.apic[n]);
    smp::start_core(n, g_peers.apic[n], g_shares[n], link, g_timer_count, &g_boot_info);
    if (!g_peers.link[n]->alive) return false;
    if (wait_for_core(n, [](CoreLink& l) { return l.ready; }, 5000000)) return true;
    console::log("core %u started but did not report ready", n);
    return false;
}

usize ready_count() {
    usize ready = 1;
    for (u32 n = 1; n < g_peers.count; ++n) ready += core_ready(n) ? 1 : 0;
    return ready;
}

void run_test_fault(const boot::CommandLine& cmdline) {
    char kind[16];
    if (!cmdline.get("test-fault", kind, sizeof kind).ok()) return;
    auto fault = parse_test_fault(kind);
    if (!fault.ok()) fail("error: test-fault must be one of ud pf gp de panic", fault.error());
    auto target = cmdline.get_u64("fault-core", 0);
    if (!target.ok() || *target >= g_peers.count || (*target != 0 && !core_ready(static_cast<u32>(*target)))) {
        fail("error: fault-core must name a ready core", Error::OutOfRange);
    }
    console::log("test-fault: raising '%s' on core %lu", kind, *target);
    if (*target == 0) trigger_test_fault(*fault);
    CoreLink& l = *g_peers.link[*target];
    if (l.control.test_fault(static_cast<u64>(*fault)).ok()) wake_if_sleeping(l.ep, l.apic);
    wait_for_core(static_cast<u32>(*target), [](CoreLink&) { return false; }, 5000000);  // its fault report ends the run first
    panic("the target core did not report its deliberate fault");
}

}  // namespace

BspPeers& bsp_peers() { return g_peers; }

Status start_core_for_monitor(u32 n, PhysAddr channel) {
    if (this_core().number != 0) return Error::Unsupported;  // only core 0 holds the links
    if (n == 0 || n >= g_peers.count) return Error::OutOfRange;
    if (g_peers.link[n] != nullptr && g_peers.link[n]->domains_started) return Error::Busy;
    bool up = core_ready(n) || (g_peers.link[n] == nullptr && boot_core(n));
    // The boot report comes once the monitor has asked for the last core.
    if (g_cores_by_monitor && n + 1 == g_peers.count) print_boot_report(x86::rdtsc(), ready_count());
    if (!up) return Error::Timeout;
    Status s = call_core(n, [channel](auto& c) { return c.start_domains(channel); });
    if (s.ok()) g_peers.link[n]->domains_started = true;
    return s;
}

extern "C" [[noreturn]] void bsp_main(u32 magic, u32 info_phys) {
    console::init();
    paging::build_direct_map();
    boot::PhysView phys(0, static_cast<const u8*>(paging::phys_to_virt(0)), DIRECT_MAP_SIZE);
    Status parsed = boot::parse_boot_info(phys, magic, info_phys, g_boot_info);
    if (!parsed.ok()) fail("boot: cannot read the boot loader's information", parsed.error());
    const char* protocol = g_boot_info.protocol == boot::Protocol::Multiboot2 ? "multiboot2" : "multiboot1";
    console::log("multikernel CPU driver: %s via %s (%s), %lu MiB usable", "booting", protocol,
                 g_boot_info.loader_name[0] != '\0' ? g_boot_info.loader_name : "unnamed loader",
                 g_boot_info.usable_bytes() >> 20);
    const char* args = boot::skip_image_path(g_boot_info.cmdline);
    console::log("command line: '%s'", args);
    check_command_line(args);
    boot::CommandLine cmdline(args);

    mask_legacy_pic();
    auto hz = tsc::calibrate_with_pit();
    if (!hz.ok()) fail("timer: TSC calibration against the PIT failed", hz.error());
    u64 tsc_hz = *hz;
    // Under QEMU -icount shift=0 (the launcher says `icount`) the TSC ticks
    // exactly once per instruction, 1 GHz of virtual time; the PIT measurement
    // only approximates that, so take the exact value.
    if (cmdline.has("icount")) {
        if (tsc_hz > 990000000 && tsc_hz < 1010000000) tsc_hz = 1000000000;
        else console::log("warning: 'icount' given but the TSC runs at %lu Hz", tsc_hz);
    }
    tsc::set_hz(tsc_hz);
    discover_cores();
    lapic::set_base(g_madt.lapic_base);
    lapic::enable();
    number_cores(lapic::id());
    set_core_count(static_cast<u32>(g_peers.count));
    console::log("TSC %lu MHz; ACPI MADT lists %zu cores (%s)", tsc::hz() / 1000000, g_madt.cpu_count,
                 g_madt.used_xsdt ? "XSDT" : "RSDT");
    if (!ioapic::init(g_madt)) console::log("ACPI: no I/O APIC for the ISA lines; IRQ capabilities answer Unsupported");

    Status split = mem::split_into_shares(free_memory(g_boot_info), g_peers.count, g_shares);
    if (!split.ok()) fail("memory: cannot give every core a share", split.error());

    // Core 0: the BSP keeps running on its boot stack.
    u32 timer_count = lapic::measure_timer(tsc::us_to_cycles(10000));  // 100 Hz
    g_timer_count = timer_count;
    mem::FramePool bsp_pool(g_shares[0], paging::phys_to_virt);
    auto df_stack = bsp_pool.alloc();
    auto nmi_stack = bsp_pool.alloc();
    if (!df_stack.ok() || !nmi_stack.ok()) fail("memory: no stacks for core 0", Error::NoMemory);
    CoreSetup setup{0,
                    g_peers.apic[0],
                    reinterpret_cast<u64>(bsp_stack),
                    reinterpret_cast<u64>(bsp_stack_top),
                    reinterpret_cast<u64>(paging::phys_to_virt(*df_stack)) + kPageSize,
                    reinterpret_cast<u64>(paging::phys_to_virt(*nmi_stack)) + kPageSize,
                    timer_count};
    Core& core = setup_core(setup, bsp_pool.ranges());
    x86::sti();

    // The kernel-level experiments need every core before any user level;
    // otherwise core 0's monitor starts the others (the usual way).
    bool monitor = boot::find_module(g_boot_info, "monitor") != nullptr && !cmdline.has("no-monitor");
    g_cores_by_monitor = monitor && g_peers.count > 1 && !cmdline.has("pairs") && !cmdline.has("bench-urpc") &&
                         !cmdline.has("bench-shared") &&
                         !cmdline.has("demo") && !cmdline.has("test-fault");
    if (!g_cores_by_monitor) {
        for (u32 n = 1; n < g_peers.count; ++n) boot_core(n);  // one at a time: one trampoline page
        print_boot_report(x86::rdtsc(), ready_count());
    }

    run_test_fault(cmdline);
    if (cmdline.has("pairs") || cmdline.has("bench-urpc")) connect_all_pairs();
    if (cmdline.has("pairs") && !run_all_pairs_exchange(5000)) fail("pairs: the all-pairs exchange failed", Error::BadMessage);
    if (cmdline.has("bench-urpc")) {
        auto samples = cmdline.get_u64("bench-urpc", 500);  // bench-urpc or bench-urpc=SAMPLES
        if (!samples.ok() || *samples == 0 || *samples > 4096) fail("bench-urpc: samples must be 1..4096", Error::InvalidArgument);
        run_urpc_benchmark(static_cast<u32>(*samples));
    }
    if (cmdline.has("bench-shared") &&  // bench-shared or bench-shared=SAMPLES
        !run_shared_benchmark(cmdline.get_u64("bench-shared", 1000).value_or(0), cmdline.has("icount"))) {
        fail("bench-shared: the experiment failed", Error::BadMessage);
    }
    if (cmdline.has("demo")) {
        print_motd();
        run_demo();
    }
    g_finish_with_shutdown = cmdline.has("shutdown") || (cmdline.has("demo") && !cmdline.has("idle"));
    if (monitor) start_monitors(core);
    finish_run();
    for (;;) x86::sti_hlt();
}

}  // namespace mk
