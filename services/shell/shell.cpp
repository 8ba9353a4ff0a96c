// The interactive shell on the serial console (docs/services/shell.md). The
// boot command line `run=shell` (what `./os run` gives by default) makes core
// 0's monitor start it with COM1's ports; it reads lines (lib/shell: line
// editing, the command table, argument parsing) and answers each with what
// the monitors know: Local.listDomains, listCaps, memInfo on this core's
// monitor, which asks the other cores' monitors over the mesh when needed,
// and Local.spawn for everything that starts programs. Its return ends it;
// core 0's monitor then finishes the system (the boot line says shutdown).
#include <stdarg.h>

#include "abi/caps.hpp"
#include "base/format.hpp"
#include "base/string.hpp"
#include "serial.hpp"
#include "shell/command.hpp"
#include "shell/line_editor.hpp"
#include "user/caps.hpp"
#include "user/console.hpp"
#include "user/domains.hpp"
#include "user/monitor_link.hpp"
#include "user/syscall.hpp"
#include "user/vm.hpp"

using namespace mk;
using namespace mk::user;
using namespace mk::shell;
namespace midl = mk::idl::monitor;

namespace {

constexpr u32 kRam = abi::cap_address(abi::kRamCNode, 0);
constexpr u32 kVSpace = abi::cap_address(abi::kTaskCNode, abi::kTaskVSpace);
constexpr u64 kLinkVa = 0x60000000000;
constexpr const char* kPrompt = "mk> ";
constexpr u32 kMaxIds = 64 * 4;

SlotAllocator g_slots(abi::kSlotCNode2);
RamAllocator g_ram(kRam, 1u << 20, g_slots);
AddressSpace g_space(kVSpace, g_ram);
Serial g_serial;

struct Context {
    MonitorLink* link;
    u32 core, cores;
    u64 self;  // this shell's domain id
    bool tested = false;
};

u64 rdtsc() {
    u32 lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (u64{hi} << 32) | lo;
}
const abi::DispatcherFrame& frame() { return *reinterpret_cast<const abi::DispatcherFrame*>(abi::kDispatcherFrameAddress); }

// One line of output. It goes through the CPU driver (kSysPrint), which
// writes it whole under its console lock: every core's CPU driver writes to
// the same UART, and a line written here port by port could be cut by
// another core's. It carries the driver's "[c0] shell: " prefix. Only the
// prompt and the echo of what is typed go to the port directly.
void say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void say(const char* fmt, ...) {
    char buf[abi::kMaxPrint];
    va_list ap;
    va_start(ap, fmt);
    usize n = vformat(buf, sizeof buf, fmt, ap);
    va_end(ap);
    (void)print(buf, n < sizeof buf ? n : sizeof buf - 1);
}

template <typename Call>
Status ask(Context& c, Call call) {
    if (!call.ok()) return call.error();
    return c.link->wait(*call);
}

const char* type_name(u64 t) {
    constexpr const char* kNames[] = {"Null", "Ram", "Frame", "CNode", "Pml4", "Pdpt", "Pd",
                                      "Pt", "Dispatcher", "Endpoint", "Io", "Irq", "Kernel"};
    return t < sizeof kNames / sizeof kNames[0] ? kNames[t] : "?";
}

void rights_text(u64 r, char out[5]) {
    out[0] = (r & kRead) != 0 ? 'r' : '-';
    out[1] = (r & kWrite) != 0 ? 'w' : '-';
    out[2] = (r & kExecute) != 0 ? 'x' : '-';
    out[3] = (r & kGrant) != 0 ? 'g' : '-';
    out[4] = '\0';
}

void module_list(char* buf, usize size) {
    LineBuffer line(buf, size);
    for (u64 i = 0; i < frame().module_count && i < 16; ++i) {
        const char* name = frame().modules[i].name;
        if (str_eq(name, "monitor") || str_eq(name, "motd") || str_eq(name, "shell")) continue;
        line.append("%s%s", line.size() == 0 ? "" : " ", name);
    }
}

// Waits for every domain in ids; Ctrl-C stops the wait (they run on).
// Prints each ending (quiet: only those that did not end as expected).
struct Waited {
    u32 ended = 0, zero = 0, passed = 0;  // passed: ended as its kind of program should
    bool interrupted = false;
};

// How an in-guest suite ends when all its checks passed: usertest's last
// check touches kernel memory, and the CPU driver ends it for that (-1).
i32 expected_exit(const char* name) { return str_eq(name, "usertest") ? -1 : 0; }
Waited wait_all(Context& c, const u64* ids, const char* const* names, u32 count, bool quiet) {
    Waited w;
    bool done[kMaxIds] = {};
    while (w.ended < count) {
        for (u32 i = 0; i < count; ++i) {
            if (done[i]) continue;
            auto s = domain_state(*c.link, ids[i]);
            if (!s.ok() || !s->ended) continue;
            done[i] = true;
            ++w.ended;
            if (s->exit_code == 0) ++w.zero;
            bool as_expected = s->exit_code == expected_exit(names[i]);
            if (as_expected) ++w.passed;
            char id[24];
            format_domain_id(ids[i], id, sizeof id);
            if (!quiet || !as_expected) {
                say("%s %s: %s %d", id, names[i], s->exit_code == -1 ? "faulted, exit" : "exit", s->exit_code);
            }
        }
        if (w.ended == count) break;
        if (g_serial.interrupted()) {
            w.interrupted = true;
            say("^C interrupted: %u of %u still running (ps shows them)", count - w.ended, count);
            break;
        }
        yield();
    }
    return w;
}

// ---- The commands ----

void cmd_help(Context&, const Words& w) {
    usize n = 0;
    const CommandSpec* all = commands(n);
    if (w.count == 2) {
        const CommandSpec* c = find_command(w.word[1]);
        if (c == nullptr) {
            say("help: no command '%s' (help lists them)", w.word[1]);
            return;
        }
        say("%s %s: %s", c->name, c->usage, c->summary);
        if (c->id == CommandId::Spawn || c->id == CommandId::Test) {
            char mods[160];
            module_list(mods, sizeof mods);
            say("boot modules: %s", mods);
        }
        return;
    }
    for (usize i = 0; i < n; ++i) say("  %-8s %-26s %s", all[i].name, all[i].usage, all[i].summary);
    say("Ctrl-C interrupts a command that waits; Ctrl-D on an empty line ends the shell.");
}

void cmd_ps(Context& c, const Words&) {
    say("%-8s %-4s %-14s %s", "ID", "CORE", "NAME", "STATE");
    for (u32 core = 0; core < c.cores; ++core) {
        midl::Local::ListDomainsResults r{};
        Status s = ask(c, c.link->client().list_domains(core, &r));
        if (!s.ok()) {
            say("core %u: no answer: %s", core, error_name(s.error()));
            continue;
        }
        for (u32 i = 0; i < r.domains.size; ++i) {
            const auto& d = r.domains.items[i];
            char id[24], state[32];
            format_domain_id(d.id, id, sizeof id);
            if (!d.ended) format(state, sizeof state, "running%s", d.id == c.self ? " (this shell)" : "");
            else if (d.exit_code == -1) format(state, sizeof state, "faulted (exit -1)");
            else format(state, sizeof state, "exited %d", d.exit_code);
            say("%-8s %-4u %-14s %s", id, core, d.name.chars, state);
        }
    }
}

void cmd_mem(Context& c, const Words&) {
    midl::Local::MemInfoResults r{};
    Status s = ask(c, c.link->client().mem_info(&r));
    if (!s.ok()) {
        say("mem: %s", error_name(s.error()));
        return;
    }
    u64 total = 0;
    u64 mib = r.chunk_bytes >> 20;
    for (u32 i = 0; i < r.chunks.size; ++i) {
        say("core %u: %4u chunks (%lu MiB)", i, r.chunks.items[i], r.chunks.items[i] * mib);
        total += r.chunks.items[i];
    }
    say("total: %lu chunks of %lu MiB in the pools (core %u's replica of the ownership map)", total, mib, c.core);
}

void cmd_cores(Context& c, const Words&) {
    midl::Local::MemInfoResults m{};
    bool have_mem = ask(c, c.link->client().mem_info(&m)).ok();
    for (u32 core = 0; core < c.cores; ++core) {
        midl::Local::ListDomainsResults r{};
        Status s = ask(c, c.link->client().list_domains(core, &r));
        u32 running = 0;
        for (u32 i = 0; s.ok() && i < r.domains.size; ++i) running += r.domains.items[i].ended ? 0 : 1;
        u32 chunks = have_mem && core < m.chunks.size ? m.chunks.items[core] : 0;
        if (!s.ok()) say("core %u: monitor does not answer (%s)", core, error_name(s.error()));
        else say("core %u: monitor up, %u programs (%u running), pool %u MiB", core, r.domains.size, running, chunks);
    }
}

void cmd_caps(Context& c, const Words& w) {
    u64 id = c.self;
    if (w.count == 2) {
        auto parsed = parse_domain_id(w.word[1]);
        if (!parsed.ok()) {
            say("caps: bad domain '%s' (CORE.N, e.g. 0.1; ps lists them)", w.word[1]);
            return;
        }
        id = *parsed;
    }
    char name[24];
    format_domain_id(id, name, sizeof name);
    constexpr u32 kEnd = 0xFFFFFFFFu;  // listCaps' `next` after the last slot
    u32 from = 0, shown = 0;
    while (from != kEnd) {
        midl::Local::ListCapsResults r{};
        Status s = ask(c, c.link->client().list_caps(id, from, &r));
        if (!s.ok()) {
            if (s.error() == Error::NotFound) say("caps: no domain %s (ps lists them)", name);
            else say("caps: %s: %s", name, error_name(s.error()));
            return;
        }
        if (from == 0) say("%-6s %-10s %-6s %-18s %-12s %s", "SLOT", "TYPE", "RIGHTS", "BASE", "SIZE", "");
        for (u32 i = 0; i < r.caps.size; ++i) {
            const auto& k = r.caps.items[i];
            char rights[5], extra[32] = {};
            rights_text(k.rights, rights);
            if (k.type == u8(CapType::CNode)) format(extra, sizeof extra, "%lu slots", k.word);
            else if (k.type == u8(CapType::Io)) format(extra, sizeof extra, "ports 0x%lx+%lu", k.word & 0xffffffffu, k.word >> 32);
            else if (k.type == u8(CapType::Irq)) format(extra, sizeof extra, "line %lu", k.word);
            say("0x%04x %-10s %-6s 0x%016lx %-12lu %s%s", k.slot, type_name(k.type), rights, k.base, k.bytes, extra,
                k.remote ? " remote" : "");
            ++shown;
        }
        from = r.next;
    }
    say("%u capabilities in domain %s", shown, name);
}

void report_spawn_error(const char* name, Error e) {
    if (e == Error::NotFound) {
        char mods[160];
        module_list(mods, sizeof mods);
        say("spawn: no boot module '%s' (there are: %s)", name, mods);
    } else if (e == Error::OutOfRange) {
        say("spawn: no such core");
    } else {
        say("spawn: %s: %s", name, error_name(e));
    }
}

// Starts `name` on `cores`; fills ids (and their names) of those that started.
u32 start(Context& c, const char* name, u64 cores, const char* args, u64* ids, const char** names, bool quiet) {
    midl::Local::SpawnResults r{};
    Status s = ask(c, c.link->client().spawn(name, cores, args, kNoCapSlot, &r));
    if (!s.ok()) {
        report_spawn_error(name, s.error());
        return 0;
    }
    u32 started = 0;
    for (u32 i = 0; i < r.results.size; ++i) {
        const auto& one = r.results.items[i];
        if (one.error != 0) {
            auto e = static_cast<Error>(one.error);
            say("core %u: cannot start %s: %s%s", one.core, name, error_name(e),
                e == Error::Full ? " (too many programs there)" : "");
            continue;
        }
        ids[started] = one.id;
        names[started] = name;
        ++started;
        if (!quiet) {
            char id[24];
            format_domain_id(one.id, id, sizeof id);
            say("started %s as %s on core %u", name, id, one.core);
        }
    }
    return started;
}

void cmd_spawn(Context& c, const Words& w) {
    SpawnRequest req;
    char error[120];
    if (!parse_spawn(w, c.cores, c.core, req, error, sizeof error).ok()) {
        say("%s", error);
        return;
    }
    u64 ids[64];
    const char* names[64];
    u32 started = start(c, req.name, req.cores, req.args, ids, names, false);
    if (started == 0 || req.background) return;
    (void)wait_all(c, ids, names, started, false);
}

void cmd_test(Context& c, const Words&) {
    if (c.tested) {
        // captest guesses its neighbours' capability tickets from fresh counters.
        say("test: the in-guest suites run once per boot (reboot to run them again)");
        return;
    }
    c.tested = true;
    u64 all = c.cores >= 64 ? ~u64{0} : (u64{1} << c.cores) - 1;
    u64 ids[kMaxIds];
    const char* names[kMaxIds];
    u32 count = 0;
    // usertest last: it checks that its monitor started the others too.
    for (const char* name : {"memstorm", "captest", "syscallfuzz", "usertest"}) {
        count += start(c, name, all, "", ids + count, names + count, true);
    }
    say("test: %u programs on %u cores; waiting (Ctrl-C stops waiting)", count, c.cores);
    Waited w = wait_all(c, ids, names, count, true);
    if (w.interrupted) return;
    u32 expected = 4 * c.cores;
    u32 passed = w.passed;
    bool ok = passed == expected;
    say("TEST %s passed=%u of %u", ok ? "ok" : "FAILED", passed, expected);
}

void cmd_bench(Context& c, const Words& w) {
    usize n = 0;
    const BenchSuite* suites = bench_suites(n);
    if (w.count == 1 || find_bench_suite(w.word[1]) == nullptr) {
        char list[96];
        LineBuffer line(list, sizeof list);
        for (usize i = 0; i < n; ++i) line.append("%s%s", i == 0 ? "" : " ", suites[i].name);
        if (w.count == 1) {
            for (usize i = 0; i < n; ++i) say("  %-8s %s", suites[i].name, suites[i].summary);
        } else {
            say("bench: unknown suite '%s' (suites: %s)", w.word[1], list);
        }
        return;
    }
    const char* suite = w.word[1];
    if (str_eq(suite, "exo")) {
        u64 id;
        const char* name;
        if (start(c, "benchexo", u64{1} << c.core, "", &id, &name, false) == 1) (void)wait_all(c, &id, &name, 1, false);
        return;
    }
    // spawn: from this shell, a hello on each core in turn, to its end.
    constexpr u32 kRounds = 3;
    u64 hz = frame().tsc_hz;
    for (u32 core = 0; core < c.cores; ++core) {
        u64 best = ~u64{0};
        for (u32 round = 0; round < kRounds; ++round) {
            u64 t0 = rdtsc();
            u64 id;
            const char* name;
            if (start(c, "hello", u64{1} << core, "", &id, &name, true) != 1) return;
            Waited done = wait_all(c, &id, &name, 1, true);
            if (done.interrupted) return;
            u64 cycles = rdtsc() - t0;
            if (cycles < best) best = cycles;
        }
        say("BENCH spawn core=%u best_of=%u cycles=%lu us=%lu", core, kRounds, best, hz != 0 ? best * 1000000 / hz : 0);
    }
}

}  // namespace

extern "C" int domain_main(u32 core, u32 cores) {
    auto link = MonitorLink::open(g_space, kLinkVa);
    if (!link.ok()) {
        printf("no channel to the monitor");
        return 1;
    }
    Context c{*link, core, cores, 0};
    // The argument first: once the monitor answers, the console is in place.
    midl::Local::ArgsResults a{};
    if (!ask(c, (*link)->client().args(&a)).ok()) return 1;
    c.self = a.id;
    if (!g_serial.present()) {
        printf("no console: the shell needs COM1's ports (started as run=shell on core 0)");
        return 1;
    }
    say("multikernel shell on core %u of %u cores; help lists the commands", core, cores);
    LineEditor editor;
    for (;;) {
        g_serial.write(kPrompt, str_len(kPrompt));
        LineEditor::Event ev = LineEditor::Event::None;
        while (ev == LineEditor::Event::None) {
            char ch;
            if (!g_serial.read(ch)) {
                yield();
                continue;
            }
            Echo echo;
            ev = editor.feed(ch, echo);
            g_serial.write(echo.text, echo.length);
        }
        if (ev == LineEditor::Event::EndOfInput) {
            g_serial.write("\n", 1);
            say("end of input: shutting down");
            return 0;
        }
        if (ev == LineEditor::Event::Interrupt) continue;
        Interpreted cmd;
        interpret(editor.line(), cmd);
        if (cmd.kind == Interpreted::Kind::Empty) continue;
        if (cmd.kind == Interpreted::Kind::Error) {
            say("%s", cmd.error);
            continue;
        }
        switch (cmd.command->id) {
            case CommandId::Help: cmd_help(c, cmd.words); break;
            case CommandId::Ps: cmd_ps(c, cmd.words); break;
            case CommandId::Cores: cmd_cores(c, cmd.words); break;
            case CommandId::Mem: cmd_mem(c, cmd.words); break;
            case CommandId::Caps: cmd_caps(c, cmd.words); break;
            case CommandId::Spawn: cmd_spawn(c, cmd.words); break;
            case CommandId::Bench: cmd_bench(c, cmd.words); break;
            case CommandId::Test: cmd_test(c, cmd.words); break;
            case CommandId::Shutdown:
                say("shutting down");
                return 0;
        }
    }
}
