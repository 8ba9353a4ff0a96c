// The shell's commands, independent of the hardware: splitting a line into
// words, the command table with each command's usage, checking a command's
// arguments, and parsing the arguments that name cores and domains. The
// program (services/shell) runs what this accepts; every error here comes
// back as one line of text to print before the next prompt.
#pragma once

#include "base/result.hpp"
#include "base/types.hpp"

namespace mk::shell {

// A line cut at spaces. The words point into the Words' own copy of the line.
struct Words {
    static constexpr usize kMaxWords = 16;
    static constexpr usize kMaxText = 256;
    const char* word[kMaxWords] = {};
    usize count = 0;
    char text[kMaxText] = {};
};
// TooLong: more than kMaxWords words or a longer line.
Status split(const char* line, Words& out);

enum class CommandId : u8 { Help, Ps, Cores, Mem, Caps, Spawn, Bench, Test, Shutdown };

struct CommandSpec {
    CommandId id;
    const char* name;
    const char* usage;    // after the name
    const char* summary;  // for help
    u8 min_args, max_args;
};
inline constexpr u8 kAnyArgs = 255;
// Every command, in the order help lists them.
const CommandSpec* commands(usize& count);
const CommandSpec* find_command(const char* name);

// The outcome of a line: nothing (an empty line), a command to run with its
// words (word[0] is the command's name), or an error to print.
struct Interpreted {
    enum class Kind : u8 { Empty, Run, Error } kind = Kind::Empty;
    const CommandSpec* command = nullptr;
    Words words;
    char error[120] = {};
};
void interpret(const char* line, Interpreted& out);

// A number: decimal, or hexadecimal after 0x. InvalidArgument otherwise,
// OutOfRange if it does not fit 64 bits.
Result<u64> parse_u64(const char* text);

// A set of cores out of `cores`: "all", a core "3", a list "1,3", a range
// "1-3", or a mix "0,2-3". InvalidArgument: not such a word; OutOfRange: a
// core that does not exist.
Result<u64> parse_cores(const char* text, u32 cores);
// Whether the word has the shape of a core set (digits, ',', '-', or "all").
bool looks_like_cores(const char* text);

// Domain ids: core << 32 | that core's sequence number, written CORE.N.
u64 make_domain_id(u32 core, u32 sequence);
inline u32 domain_core(u64 id) { return static_cast<u32>(id >> 32); }
inline u32 domain_sequence(u64 id) { return static_cast<u32>(id); }
Result<u64> parse_domain_id(const char* text);
// Writes CORE.N into buf (at least 24 bytes).
void format_domain_id(u64 id, char* buf, usize size);

// `spawn NAME [CORES] [ARGS...] [&]`: the second word is the cores if it
// looks like a core set (a numeric first argument then needs the cores given
// first); the default is `self_core`. A trailing "&" starts the programs
// without waiting for them.
struct SpawnRequest {
    const char* name = nullptr;
    u64 cores = 0;
    char args[128] = {};
    bool background = false;
};
// On failure, `error` holds the one-line message.
Status parse_spawn(const Words& w, u32 cores, u32 self_core, SpawnRequest& out, char* error, usize error_size);

// Benchmark suites the shell knows.
struct BenchSuite {
    const char* name;
    const char* summary;
};
const BenchSuite* bench_suites(usize& count);
const BenchSuite* find_bench_suite(const char* name);

}  // namespace mk::shell
