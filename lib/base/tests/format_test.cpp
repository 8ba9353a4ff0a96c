#include <catch2/catch.hpp>

#include <string>

#include "base/format.hpp"
#include "base/string.hpp"

using namespace mk;

static std::string fmt(const char* f, auto... args) {
    char buf[128];
    format(buf, sizeof buf, f, args...);
    return buf;
}

TEST_CASE("format covers the supported conversions", "[base]") {
    CHECK(fmt("%d|%i|%u", -42, 7, 3000000000u) == "-42|7|3000000000");
    CHECK(fmt("%x|%X|%lx", 0xbeefu, 0xbeefu, 0x1234567890abcdefUL) == "beef|BEEF|1234567890abcdef");
    CHECK(fmt("%llu|%zu", 18446744073709551615ULL, static_cast<size_t>(12)) ==
          "18446744073709551615|12");
    CHECK(fmt("%5d|%-5d|%05d|%05d", 42, 42, 42, -42) == "   42|42   |00042|-0042");
    CHECK(fmt("%s|%-6s|%4s|%c|%%", "ab", "cd", "e", 'z') == "ab|cd    |   e|z|%");
    CHECK(fmt("%p", reinterpret_cast<void*>(0x1000)) == "0x0000000000001000");
    const char* volatile null_text = nullptr;  // volatile: keep GCC from proving it null
    CHECK(fmt("%s", null_text) == "(null)");
    CHECK(fmt("%lld", static_cast<long long>(INT64_MIN)) == "-9223372036854775808");
}

TEST_CASE("format never overruns and reports the full length", "[base]") {
    char buf[8];
    usize n = format(buf, sizeof buf, "%s", "0123456789");
    CHECK(n == 10);
    CHECK(std::string(buf) == "0123456");
    char tiny[1];
    CHECK(format(tiny, 1, "abc") == 3);
    CHECK(tiny[0] == '\0');
    CHECK(format(nullptr, 0, "%d", 12345) == 5);
}

TEST_CASE("LineBuffer appends and marks truncation", "[base]") {
    char buf[16];
    LineBuffer line(buf, sizeof buf);
    line.append("core %u", 3u);
    line.append(" up");
    CHECK(std::string(line.c_str()) == "core 3 up");
    CHECK_FALSE(line.truncated());
    line.append(" and a lot more text");
    CHECK(line.truncated());
    CHECK(line.size() == 15);
}

TEST_CASE("string helpers", "[base]") {
    CHECK(str_len("abc") == 3);
    CHECK(str_nlen("abcdef", 4) == 4);
    CHECK(str_eq("x", "x"));
    CHECK_FALSE(str_eq("x", "xy"));
    CHECK(str_starts_with("shutdown now", "shutdown"));
    CHECK_FALSE(str_starts_with("shut", "shutdown"));
    char dst[4];
    CHECK(str_copy(dst, "abcdef", sizeof dst) == 3);
    CHECK(std::string(dst) == "abc");
    const u8 le[] = {0x78, 0x56, 0x34, 0x12};
    CHECK(load_le<u32>(le) == 0x12345678u);
}
