// See command.hpp.
#include "shell/command.hpp"

#include "base/format.hpp"
#include "base/string.hpp"

namespace mk::shell {
namespace {

constexpr CommandSpec kCommands[] = {
    {CommandId::Help, "help", "[COMMAND]", "list the commands, or explain one", 0, 1},
    {CommandId::Ps, "ps", "", "the programs on every core and their state", 0, 0},
    {CommandId::Cores, "cores", "", "every core: its programs and its memory pool", 0, 0},
    {CommandId::Mem, "mem", "", "the memory pools: 1 MiB chunks owned per core (replicated map)", 0, 0},
    {CommandId::Caps, "caps", "[DOMAIN]", "a domain's capability space (default: this shell)", 0, 1},
    {CommandId::Spawn, "spawn", "NAME [CORES] [ARGS...] [&]",
     "start a boot module on cores (N, 1,3, 1-3, all; default this core) and wait for it", 1, kAnyArgs},
    {CommandId::Bench, "bench", "SUITE", "run a benchmark suite (bench with no suite lists them)", 0, 1},
    {CommandId::Test, "test", "", "the in-guest test programs on every core: pass or fail", 0, 0},
    {CommandId::Shutdown, "shutdown", "", "end the shell; the system powers off", 0, 0},
};

constexpr BenchSuite kSuites[] = {
    {"spawn", "spawn and wait for a small program on every core, in TSC cycles"},
    {"exo", "the exokernel measurements (benchexo): system calls, upcalls, PCT, spawn"},
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A decimal number at p, advancing p; InvalidArgument if none.
Result<u64> take_decimal(const char*& p) {
    if (!is_digit(*p)) return Error::InvalidArgument;
    u64 v = 0;
    for (; is_digit(*p); ++p) {
        u64 d = static_cast<u64>(*p - '0');
        if (v > (~u64{0} - d) / 10) return Error::OutOfRange;
        v = v * 10 + d;
    }
    return v;
}

}  // namespace

Status split(const char* line, Words& out) {
    out = Words{};
    usize n = str_nlen(line, Words::kMaxText);
    if (n == Words::kMaxText) return Error::TooLong;
    for (usize i = 0; i <= n; ++i) out.text[i] = line[i];
    char* p = out.text;
    for (;;) {
        while (*p == ' ') *p++ = '\0';
        if (*p == '\0') return {};
        if (out.count == Words::kMaxWords) return Error::TooLong;
        out.word[out.count++] = p;
        while (*p != ' ' && *p != '\0') ++p;
    }
}

const CommandSpec* commands(usize& count) {
    count = sizeof kCommands / sizeof kCommands[0];
    return kCommands;
}

const CommandSpec* find_command(const char* name) {
    for (const CommandSpec& c : kCommands) {
        if (str_eq(c.name, name)) return &c;
    }
    return nullptr;
}

void interpret(const char* line, Interpreted& out) {
    out.kind = Interpreted::Kind::Error;
    out.command = nullptr;
    out.error[0] = '\0';
    if (!split(line, out.words).ok()) {
        format(out.error, sizeof out.error, "line too long: at most %zu words", Words::kMaxWords);
        return;
    }
    if (out.words.count == 0) {
        out.kind = Interpreted::Kind::Empty;
        return;
    }
    const char* name = out.words.word[0];
    const CommandSpec* c = find_command(name);
    if (c == nullptr) {
        format(out.error, sizeof out.error, "unknown command '%s' (type help for the list)", name);
        return;
    }
    usize args = out.words.count - 1;
    if (args < c->min_args || (c->max_args != kAnyArgs && args > c->max_args)) {
        format(out.error, sizeof out.error, "usage: %s%s%s", c->name, c->usage[0] != '\0' ? " " : "", c->usage);
        return;
    }
    out.kind = Interpreted::Kind::Run;
    out.command = c;
}

Result<u64> parse_u64(const char* text) {
    const char* p = text;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        p += 2;
        if (*p == '\0') return Error::InvalidArgument;
        u64 v = 0;
        for (; *p != '\0'; ++p) {
            u64 d;
            if (is_digit(*p)) d = static_cast<u64>(*p - '0');
            else if (*p >= 'a' && *p <= 'f') d = static_cast<u64>(*p - 'a' + 10);
            else if (*p >= 'A' && *p <= 'F') d = static_cast<u64>(*p - 'A' + 10);
            else return Error::InvalidArgument;
            if (v >> 60 != 0) return Error::OutOfRange;
            v = v << 4 | d;
        }
        return v;
    }
    u64 v = TRY(take_decimal(p));
    if (*p != '\0') return Error::InvalidArgument;
    return v;
}

bool looks_like_cores(const char* text) {
    if (str_eq(text, "all")) return true;
    if (!is_digit(text[0])) return false;
    for (const char* p = text; *p != '\0'; ++p) {
        if (!is_digit(*p) && *p != ',' && *p != '-') return false;
    }
    return true;
}

Result<u64> parse_cores(const char* text, u32 cores) {
    if (cores == 0 || cores > 64) return Error::InvalidArgument;
    u64 all = cores == 64 ? ~u64{0} : (u64{1} << cores) - 1;
    if (str_eq(text, "all")) return all;
    u64 mask = 0;
    const char* p = text;
    for (;;) {
        u64 first = TRY(take_decimal(p));
        u64 last = first;
        if (*p == '-') {
            ++p;
            last = TRY(take_decimal(p));
            if (last < first) return Error::InvalidArgument;
        }
        if (last >= cores) return Error::OutOfRange;
        for (u64 c = first; c <= last; ++c) mask |= u64{1} << c;
        if (*p == '\0') return mask;
        if (*p != ',') return Error::InvalidArgument;
        ++p;
    }
}

u64 make_domain_id(u32 core, u32 sequence) { return (u64{core} << 32) | sequence; }

Result<u64> parse_domain_id(const char* text) {
    const char* p = text;
    u64 core = TRY(take_decimal(p));
    if (*p != '.') return Error::InvalidArgument;
    ++p;
    u64 seq = TRY(take_decimal(p));
    if (*p != '\0') return Error::InvalidArgument;
    if (core >= 64 || seq > 0xffffffffu) return Error::OutOfRange;
    return make_domain_id(static_cast<u32>(core), static_cast<u32>(seq));
}

void format_domain_id(u64 id, char* buf, usize size) { format(buf, size, "%u.%u", domain_core(id), domain_sequence(id)); }

Status parse_spawn(const Words& w, u32 cores, u32 self_core, SpawnRequest& out, char* error, usize error_size) {
    out = SpawnRequest{};
    usize end = w.count;
    if (end > 1 && str_eq(w.word[end - 1], "&")) {
        out.background = true;
        --end;
    }
    if (end < 2) {
        format(error, error_size, "usage: spawn NAME [CORES] [ARGS...] [&]");
        return Error::InvalidArgument;
    }
    out.name = w.word[1];
    if (str_len(out.name) > 31) {
        format(error, error_size, "spawn: no boot module is called '%s...'", out.name);
        return Error::TooLong;
    }
    usize first_arg = 2;
    out.cores = u64{1} << self_core;
    if (end > 2 && looks_like_cores(w.word[2])) {
        auto mask = parse_cores(w.word[2], cores);
        if (!mask.ok()) {
            if (mask.error() == Error::OutOfRange) {
                format(error, error_size, "spawn: bad core '%s': the cores are 0..%u", w.word[2], cores - 1);
            } else {
                format(error, error_size, "spawn: bad core set '%s' (N, N,M, N-M or all)", w.word[2]);
            }
            return mask.error();
        }
        out.cores = *mask;
        first_arg = 3;
    }
    usize n = 0;
    for (usize i = first_arg; i < end; ++i) {
        usize len = str_len(w.word[i]);
        if (n + len + (n != 0 ? 1 : 0) >= sizeof out.args) {
            format(error, error_size, "spawn: arguments longer than %zu characters", sizeof out.args - 1);
            return Error::TooLong;
        }
        if (n != 0) out.args[n++] = ' ';
        for (usize k = 0; k < len; ++k) out.args[n++] = w.word[i][k];
    }
    out.args[n] = '\0';
    return {};
}

const BenchSuite* bench_suites(usize& count) {
    count = sizeof kSuites / sizeof kSuites[0];
    return kSuites;
}

const BenchSuite* find_bench_suite(const char* name) {
    for (const BenchSuite& s : kSuites) {
        if (str_eq(s.name, name)) return &s;
    }
    return nullptr;
}

}  // namespace mk::shell
