// The bootstrap processor's path: from the boot loader to every core ready.
//
//   1. console, direct map, boot information (Multiboot1 or 2)
//   2. TSC calibration against the PIT, cores from the ACPI MADT
//   3. free memory cut into one share per core
//   4. the BSP becomes CPU driver 0 (its own Core, tables, page table, timer)
//   5. every other core is started and answers through its boot mailbox
//   6. the boot report, then what the command line asks for
//
// docs/boot.md walks through the same steps with the reasons behind them.
#include "base/format.hpp"
#include "base/string.hpp"
#include "boot/acpi.hpp"
#include "boot/boot_info.hpp"
#include "boot/cmdline.hpp"
#include "bsp.hpp"
#include "console.hpp"
#include "core_setup.hpp"
#include "domains.hpp"
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
BspPeers g_peers;
mem::RangeSet g_shares[smp::kMaxCores];

constexpr const char* kKnownWords[] = {"shutdown",   "demo",       "idle", "test",  "test-fault",
                                      "fault-core", "no-monitor", "run",  "icount"};

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
                         "no-monitor test run=MODULE icount test-fault=ud|pf|gp|de|panic fault-core=N)", word);
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
    g_peers.core[g_peers.count++].apic_id = bsp_apic_id;
    for (usize i = 0; i < g_madt.cpu_count && g_peers.count < smp::kMaxCores; ++i) {
        if (g_madt.cpus[i].apic_id != bsp_apic_id) g_peers.core[g_peers.count++].apic_id = g_madt.cpus[i].apic_id;
    }
}

void print_boot_report(u64 ready_tsc, usize ready) {
    u64 us = tsc::cycles_to_us(ready_tsc - *paging::boot_section_ptr(&boot_entry_tsc));
    console::log("BOOT cores=%zu ready=%zu entry_to_ready_us=%lu", g_peers.count, ready, us);
    char buf[600];
    LineBuffer line(buf, sizeof buf);
    line.append("%zu of %zu cores ready:", ready, g_peers.count);
    for (u32 n = 0; n < g_peers.count; ++n) {
        line.append(" c%u(apic %u%s)", n, g_peers.core[n].apic_id, n == 0 ? ", BSP" : g_peers.core[n].ready ? "" : ", NOT READY");
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
        if (!g_peers.core[n].ready) continue;
        boot::Mail reply{};
        if (send_to_core(g_peers, n, {boot::kMailStop, {}}, 1000000) &&
            receive_from_core(g_peers, n, reply, 2000000) && reply.kind == boot::kMailStopped) {
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
        if (!g_peers.core[n].ready) continue;
        boot::Mail m{};
        if (!receive_from_core(g_peers, n, m, 10000000) || m.kind != boot::kMailDomainsEnded) {
            console::log("core %u did not report that its domains ended", n);
        }
    }
    console::log("USER all monitors ended");
    finish_run();
}

// Every core loads its own monitor: the others on request through their
// mailboxes, core 0 itself; then core 0 runs its scheduler.
[[noreturn]] void start_monitors(Core& core) {
    for (u32 n = 1; n < g_peers.count; ++n) {
        if (g_peers.core[n].ready) send_to_core(g_peers, n, {boot::kMailStartDomains, {}}, 1000000);
    }
    start_core_domains(g_boot_info);
    auto idle_stack = core.memory.alloc(2);
    if (!idle_stack.ok()) fail("memory: no idle stack for core 0", idle_stack.error());
    core.scheduler.start(reinterpret_cast<u64>(paging::phys_to_virt(*idle_stack)) + 2 * kPageSize, bsp_idle_hook);
}

void run_test_fault(const boot::CommandLine& cmdline) {
    char kind[16];
    if (!cmdline.get("test-fault", kind, sizeof kind).ok()) return;
    auto fault = parse_test_fault(kind);
    if (!fault.ok()) fail("error: test-fault must be one of ud pf gp de panic", fault.error());
    auto target = cmdline.get_u64("fault-core", 0);
    if (!target.ok() || *target >= g_peers.count || (*target != 0 && !g_peers.core[*target].ready)) {
        fail("error: fault-core must name a ready core", Error::OutOfRange);
    }
    console::log("test-fault: raising '%s' on core %lu", kind, *target);
    if (*target == 0) trigger_test_fault(*fault);
    send_to_core(g_peers, static_cast<u32>(*target), {boot::kMailTestFault, {static_cast<u64>(*fault)}}, 1000000);
    tsc::spin_us(5000000);  // the target's fault report ends the run long before this
    panic("the target core did not report its deliberate fault");
}

}  // namespace

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

    Status split = mem::split_into_shares(free_memory(g_boot_info), g_peers.count, g_shares);
    if (!split.ok()) fail("memory: cannot give every core a share", split.error());

    // Core 0: the BSP keeps running on its boot stack.
    u32 timer_count = lapic::measure_timer(tsc::us_to_cycles(10000));  // 100 Hz
    mem::FramePool bsp_pool(g_shares[0], paging::phys_to_virt);
    auto df_stack = bsp_pool.alloc();
    auto nmi_stack = bsp_pool.alloc();
    if (!df_stack.ok() || !nmi_stack.ok()) fail("memory: no stacks for core 0", Error::NoMemory);
    CoreSetup setup{0,
                    g_peers.core[0].apic_id,
                    reinterpret_cast<u64>(bsp_stack),
                    reinterpret_cast<u64>(bsp_stack_top),
                    reinterpret_cast<u64>(paging::phys_to_virt(*df_stack)) + kPageSize,
                    reinterpret_cast<u64>(paging::phys_to_virt(*nmi_stack)) + kPageSize,
                    timer_count};
    Core& core = setup_core(setup, bsp_pool.ranges());
    x86::sti();
    g_peers.core[0].alive = g_peers.core[0].ready = true;

    // Every other core, one at a time through the single trampoline page.
    for (u32 n = 1; n < g_peers.count; ++n) {
        auto frame = core.memory.alloc();
        if (!frame.ok()) fail("memory: no mailbox frame for core", frame.error());
        auto* mailbox = static_cast<boot::MailboxFrame*>(paging::phys_to_virt(*frame));
        __builtin_memset(mailbox, 0, kPageSize);
        g_peers.core[n].mailbox = boot::MailboxEnd::bsp_side(mailbox);
        auto started = smp::start_core(n, g_peers.core[n].apic_id, g_shares[n], mailbox, g_peers.core[n].mailbox,
                                       timer_count, &g_boot_info);
        g_peers.core[n].alive = started.alive;
    }
    usize ready = 1;
    for (u32 n = 1; n < g_peers.count; ++n) {
        boot::Mail m{};
        if (!g_peers.core[n].alive) continue;
        if (receive_from_core(g_peers, n, m, 5000000) && m.kind == boot::kMailReady) {
            g_peers.core[n].ready = true;
            ++ready;
        } else {
            console::log("core %u started but did not report ready", n);
        }
    }
    print_boot_report(x86::rdtsc(), ready);

    run_test_fault(cmdline);
    if (cmdline.has("demo")) {
        print_motd();
        run_demo(g_peers);
    }
    g_finish_with_shutdown = cmdline.has("shutdown") || (cmdline.has("demo") && !cmdline.has("idle"));
    if (boot::find_module(g_boot_info, "monitor") != nullptr && !cmdline.has("no-monitor")) start_monitors(core);
    finish_run();
    for (;;) x86::sti_hlt();
}

}  // namespace mk
