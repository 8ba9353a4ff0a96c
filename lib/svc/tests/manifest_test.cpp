// The service manifest: `name cores` lines, clear errors, nothing kept on one.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "svc/manifest.hpp"

using namespace mk;

namespace {

Status parse(svc::Manifest& m, const std::string& text, svc::ManifestError& e) {
    return m.parse(text.data(), text.size(), e);
}

}  // namespace

TEST_CASE("Manifest: services and their cores", "[svc]") {
    svc::Manifest m;
    svc::ManifestError e;
    REQUIRE(parse(m, "# generated\nkv all\n\n  logger\t0   # core 0 only\ncache 0,2-3,63\n", e).ok());
    CHECK(e.line == 0);
    REQUIRE(m.size() == 3);
    CHECK(std::string(m[0].name) == "kv");
    CHECK(m[0].cores == ~u64{0});
    CHECK(m[1].cores == 1);
    CHECK(m[2].cores == (0b1101 | (u64{1} << 63)));
    CHECK(m.cores_of("kv", 4) == 0b1111);
    CHECK(m.cores_of("cache", 3) == 0b101);
    CHECK(m.cores_of("cache", 64) == m[2].cores);
    CHECK(m.cores_of("nothing", 4) == 0);
    CHECK(m.find("logger") == &m[1]);
    CHECK(m.find("log") == nullptr);
    REQUIRE(parse(m, "", e).ok());
    CHECK(m.size() == 0);
    const char with_nul[] = "a 1\0b 2";
    REQUIRE(m.parse(with_nul, sizeof with_nul, e).ok());
    CHECK(m.size() == 1);
    CHECK(svc::all_cores(3) == 7);
    CHECK(svc::all_cores(64) == ~u64{0});
}

TEST_CASE("Manifest: every bad line is an error with its line, and nothing changes", "[svc]") {
    struct Case {
        const char* text;
        u32 line;
        const char* what;
    };
    const Case cases[] = {
        {"kv\n", 1, "a line is `name cores`"},
        {"kv all extra\n", 1, "a line is `name cores`"},
        {"ok 1\nKV all\n", 2, "a service name is made of a-z, 0-9, _ and -"},
        {"abcdefghijklmnopqrstuvwxyz 1\n", 1, "a service name has at most 23 characters"},
        {"kv x\n", 1, "expected a core number, a range N-M or `all`"},
        {"kv 3-1\n", 1, "a range must be N-M with N <= M"},
        {"kv 1-\n", 1, "a range must be N-M with N <= M"},
        {"kv 64\n", 1, "core numbers go up to 63"},
        {"kv 1,\n", 1, "cores are separated by commas"},
        {"kv 1;2\n", 1, "cores are separated by commas"},
        {"kv 1\nkv 2\n", 2, "a service is listed twice"},
    };
    for (const Case& c : cases) {
        INFO(c.text);
        svc::Manifest m;
        svc::ManifestError e;
        REQUIRE(parse(m, "before 0\n", e).ok());
        CHECK(parse(m, c.text, e).error() == Error::InvalidArgument);
        CHECK(e.line == c.line);
        CHECK(std::string(e.what) == c.what);
        CHECK(m.size() == 1);
        CHECK(m.find("before") != nullptr);
    }
    std::string many;
    for (int i = 0; i < 17; ++i) many += "s" + std::to_string(i) + " 0\n";
    svc::Manifest m;
    svc::ManifestError e;
    CHECK(parse(m, many, e).error() == Error::InvalidArgument);
    CHECK(e.line == 17);
}
