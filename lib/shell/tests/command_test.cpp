#include <catch2/catch.hpp>

#include <string>

#include "shell/command.hpp"

using namespace mk;
using namespace mk::shell;

TEST_CASE("split cuts at runs of spaces and refuses too many words", "[shell]") {
    Words w;
    REQUIRE(split("  spawn   hello  all ", w).ok());
    REQUIRE(w.count == 3);
    CHECK(std::string(w.word[0]) == "spawn");
    CHECK(std::string(w.word[1]) == "hello");
    CHECK(std::string(w.word[2]) == "all");
    REQUIRE(split("", w).ok());
    CHECK(w.count == 0);
    std::string many;
    for (usize i = 0; i <= Words::kMaxWords; ++i) many += "a ";
    CHECK(split(many.c_str(), w).error() == Error::TooLong);
    CHECK(split(std::string(Words::kMaxText, 'x').c_str(), w).error() == Error::TooLong);
}

TEST_CASE("interpret finds commands and checks their argument counts", "[shell]") {
    Interpreted r;
    interpret("   ", r);
    CHECK(r.kind == Interpreted::Kind::Empty);
    interpret("ps", r);
    REQUIRE(r.kind == Interpreted::Kind::Run);
    CHECK(r.command->id == CommandId::Ps);
    interpret("frobnicate now", r);
    REQUIRE(r.kind == Interpreted::Kind::Error);
    CHECK(std::string(r.error) == "unknown command 'frobnicate' (type help for the list)");
    interpret("ps extra", r);
    REQUIRE(r.kind == Interpreted::Kind::Error);
    CHECK(std::string(r.error) == "usage: ps");
    interpret("caps 1.2 3.4", r);
    CHECK(std::string(r.error) == "usage: caps [DOMAIN]");
    interpret("spawn", r);
    CHECK(std::string(r.error) == "usage: spawn NAME [CORES] [ARGS...] [&]");
    interpret("spawn hello all a b c d e f", r);
    CHECK(r.kind == Interpreted::Kind::Run);
    // Every command the issue names is in the table, with a summary for help.
    for (const char* name : {"help", "ps", "cores", "mem", "caps", "spawn", "bench", "test", "shutdown"}) {
        const CommandSpec* c = find_command(name);
        REQUIRE(c != nullptr);
        CHECK(std::string(c->summary).size() > 10);
    }
    CHECK(find_command("Help") == nullptr);
}

TEST_CASE("numbers: decimal and hexadecimal, nothing else", "[shell]") {
    CHECK(*parse_u64("0") == 0);
    CHECK(*parse_u64("18446744073709551615") == ~u64{0});
    CHECK(*parse_u64("0x1F") == 31);
    CHECK(parse_u64("18446744073709551616").error() == Error::OutOfRange);
    CHECK(parse_u64("0x10000000000000000").error() == Error::OutOfRange);
    CHECK(parse_u64("").error() == Error::InvalidArgument);
    CHECK(parse_u64("12a").error() == Error::InvalidArgument);
    CHECK(parse_u64("0x").error() == Error::InvalidArgument);
    CHECK(parse_u64("-1").error() == Error::InvalidArgument);
}

TEST_CASE("core sets: all, single cores, lists and ranges within the machine", "[shell]") {
    CHECK(*parse_cores("all", 4) == 0xF);
    CHECK(*parse_cores("all", 64) == ~u64{0});
    CHECK(*parse_cores("2", 4) == 0x4);
    CHECK(*parse_cores("0,2-3", 4) == 0xD);
    CHECK(*parse_cores("1-1", 2) == 0x2);
    CHECK(parse_cores("4", 4).error() == Error::OutOfRange);
    CHECK(parse_cores("1-9", 8).error() == Error::OutOfRange);
    CHECK(parse_cores("3-1", 4).error() == Error::InvalidArgument);
    CHECK(parse_cores("1,", 4).error() == Error::InvalidArgument);
    CHECK(parse_cores("x", 4).error() == Error::InvalidArgument);
    CHECK(parse_cores("", 4).error() == Error::InvalidArgument);
    CHECK(looks_like_cores("all"));
    CHECK(looks_like_cores("1-3,5"));
    CHECK_FALSE(looks_like_cores("hello"));
    CHECK_FALSE(looks_like_cores("-1"));
}

TEST_CASE("domain ids are CORE.N both ways", "[shell]") {
    u64 id = make_domain_id(3, 17);
    CHECK(domain_core(id) == 3);
    CHECK(domain_sequence(id) == 17);
    char buf[24];
    format_domain_id(id, buf, sizeof buf);
    CHECK(std::string(buf) == "3.17");
    CHECK(*parse_domain_id("3.17") == id);
    CHECK(parse_domain_id("3").error() == Error::InvalidArgument);
    CHECK(parse_domain_id("3.x").error() == Error::InvalidArgument);
    CHECK(parse_domain_id("3.1.2").error() == Error::InvalidArgument);
    CHECK(parse_domain_id("64.1").error() == Error::OutOfRange);
}

TEST_CASE("spawn: name, optional cores, arguments and a trailing &", "[shell]") {
    Words w;
    SpawnRequest r;
    char error[120] = {};
    REQUIRE(split("spawn hello", w).ok());
    REQUIRE(parse_spawn(w, 4, 0, r, error, sizeof error).ok());
    CHECK(std::string(r.name) == "hello");
    CHECK(r.cores == 1);
    CHECK(std::string(r.args).empty());
    CHECK_FALSE(r.background);

    REQUIRE(split("spawn spawntest all child 7 &", w).ok());
    REQUIRE(parse_spawn(w, 4, 0, r, error, sizeof error).ok());
    CHECK(r.cores == 0xF);
    CHECK(std::string(r.args) == "child 7");
    CHECK(r.background);

    REQUIRE(split("spawn hello  some   words", w).ok());
    REQUIRE(parse_spawn(w, 2, 1, r, error, sizeof error).ok());
    CHECK(r.cores == 2);  // this core
    CHECK(std::string(r.args) == "some words");

    REQUIRE(split("spawn hello 9 x", w).ok());
    CHECK(parse_spawn(w, 4, 0, r, error, sizeof error).error() == Error::OutOfRange);
    CHECK(std::string(error) == "spawn: bad core '9': the cores are 0..3");
    REQUIRE(split("spawn hello 1,,2", w).ok());
    CHECK(parse_spawn(w, 4, 0, r, error, sizeof error).error() == Error::InvalidArgument);
    CHECK(std::string(error) == "spawn: bad core set '1,,2' (N, N,M, N-M or all)");
    REQUIRE(split("spawn &", w).ok());
    CHECK(parse_spawn(w, 4, 0, r, error, sizeof error).error() == Error::InvalidArgument);
    std::string long_args = "spawn hello 0";
    for (int i = 0; i < 13; ++i) long_args += " abcdefghij";
    REQUIRE(split(long_args.c_str(), w).ok());
    CHECK(parse_spawn(w, 4, 0, r, error, sizeof error).error() == Error::TooLong);
}

TEST_CASE("bench suites are named and found", "[shell]") {
    usize n = 0;
    const BenchSuite* s = bench_suites(n);
    REQUIRE(n >= 2);
    for (usize i = 0; i < n; ++i) CHECK(find_bench_suite(s[i].name) == &s[i]);
    CHECK(find_bench_suite("nope") == nullptr);
}
