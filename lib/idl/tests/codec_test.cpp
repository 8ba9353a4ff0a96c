// Writer and Reader: byte layout, bounds, and the rejection of every
// non-canonical encoding (codec.hpp).
#include <catch2/catch.hpp>

#include <cstring>

#include "idl/codec.hpp"

using namespace mk;
using namespace mk::idl;

TEST_CASE("Writer stores scalars little-endian in order, without padding", "[idl]") {
    u8 buf[32] = {};
    Writer w(buf, sizeof buf);
    w.put_u16(0x1234);
    w.put_i32(-2);
    w.put_bool(true);
    w.put_u64(0x0102030405060708ull);
    w.put_i8(-1);
    REQUIRE(w.status().ok());
    REQUIRE(w.size() == 2 + 4 + 1 + 8 + 1);
    const u8 expect[] = {0x34, 0x12, 0xfe, 0xff, 0xff, 0xff, 0x01, 0x08, 0x07,
                         0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0xff};
    CHECK(std::memcmp(buf, expect, sizeof expect) == 0);

    Reader r(buf, w.size());
    u16 a = 0;
    i32 b = 0;
    bool c = false;
    u64 d = 0;
    i8 e = 0;
    REQUIRE(r.get_u16(a).ok());
    REQUIRE(r.get_i32(b).ok());
    REQUIRE(r.get_bool(c).ok());
    REQUIRE(r.get_u64(d).ok());
    REQUIRE(r.get_i8(e).ok());
    CHECK(a == 0x1234);
    CHECK(b == -2);
    CHECK(c);
    CHECK(d == 0x0102030405060708ull);
    CHECK(e == -1);
    CHECK(r.finish().ok());
}

TEST_CASE("Writer never writes past its buffer and keeps its first error", "[idl]") {
    u8 buf[6] = {};
    Writer w(buf, 5);
    w.put_u32(1);
    w.put_u16(2);  // does not fit
    w.put_u8(3);   // would fit, but the writer has failed
    CHECK(w.status().error() == Error::TooLong);
    CHECK(w.size() == 4);
    CHECK(buf[4] == 0);
    CHECK(buf[5] == 0);

    Writer counts(buf, sizeof buf);
    counts.put_count(9, 8);
    CHECK(counts.status().error() == Error::TooLong);
}

TEST_CASE("Reader reports Truncated, and bad Bool, count and enum values", "[idl]") {
    const u8 bytes[] = {2, 9, 0, 3, 0};
    Reader r(bytes, sizeof bytes);
    bool b = false;
    CHECK(r.get_bool(b).error() == Error::BadMessage);
    u16 n = 77;
    CHECK(r.get_count(n, 8).error() == Error::TooLong);
    CHECK(n == 77);  // unchanged on error
    enum class E : u16 { A, B, C };
    E e = E::A;
    CHECK(r.get_enum(e, 3).error() == Error::BadEnum);
    u64 big = 0;
    CHECK(r.get_u64(big).error() == Error::Truncated);

    Reader left(bytes, sizeof bytes);
    u8 one = 0;
    REQUIRE(left.get_u8(one).ok());
    CHECK(left.remaining() == 4);
    CHECK(left.finish().error() == Error::BadMessage);
}

TEST_CASE("Text keeps at most N bytes, NUL-terminated, and round-trips", "[idl]") {
    Text<5> t;
    CHECK(t.assign("hello").ok());
    CHECK(std::string(t.c_str()) == "hello");
    CHECK(t.assign("hello!").error() == Error::TooLong);
    CHECK(t.assign("a\0b", 3).error() == Error::InvalidArgument);
    REQUIRE(t.assign("hi").ok());
    CHECK(t.size == 2);
    CHECK(t.chars[2] == '\0');

    u8 buf[16] = {};
    Writer w(buf, sizeof buf);
    w.put_text(t);
    REQUIRE(w.status().ok());
    const u8 expect[] = {2, 0, 'h', 'i', 0};
    REQUIRE(w.size() == sizeof expect);
    CHECK(std::memcmp(buf, expect, sizeof expect) == 0);

    Text<5> back;
    Reader r(buf, w.size());
    REQUIRE(r.get_text(back).ok());
    CHECK(back == t);
    CHECK(r.finish().ok());

    Text<5> over;
    over.size = 6;  // a caller broke the invariant: refused, not overrun
    Writer w2(buf, sizeof buf);
    w2.put_text(over);
    CHECK(w2.status().error() == Error::TooLong);
}

TEST_CASE("Reader rejects Text that is too long, unterminated or contains NUL", "[idl]") {
    Text<4> t;
    const u8 too_long[] = {5, 0, 'a', 'b', 'c', 'd', 'e', 0};
    Reader r1(too_long, sizeof too_long);
    CHECK(r1.get_text(t).error() == Error::TooLong);

    const u8 unterminated[] = {2, 0, 'a', 'b', 'c'};
    Reader r2(unterminated, sizeof unterminated);
    CHECK(r2.get_text(t).error() == Error::BadMessage);

    const u8 inner_nul[] = {3, 0, 'a', 0, 'c', 0};
    Reader r3(inner_nul, sizeof inner_nul);
    CHECK(r3.get_text(t).error() == Error::BadMessage);

    const u8 cut[] = {3, 0, 'a', 'b'};
    Reader r4(cut, sizeof cut);
    CHECK(r4.get_text(t).error() == Error::Truncated);

    const u8 no_nul_room[] = {2, 0, 'a', 'b'};
    Reader r5(no_nul_room, sizeof no_nul_room);
    CHECK(r5.get_text(t).error() == Error::Truncated);
}

TEST_CASE("Data and List respect their maximum", "[idl]") {
    Data<3> d;
    const u8 src[] = {1, 2, 3, 4};
    CHECK(d.assign(src, 4).error() == Error::TooLong);
    REQUIRE(d.assign(src, 3).ok());
    CHECK(d.view().size() == 3);

    u8 buf[8] = {};
    Writer w(buf, sizeof buf);
    w.put_data(d);
    REQUIRE(w.status().ok());
    Data<3> back;
    Reader r(buf, w.size());
    REQUIRE(r.get_data(back).ok());
    CHECK(back == d);

    Data<2> small;
    Reader r2(buf, w.size());
    CHECK(r2.get_data(small).error() == Error::TooLong);

    List<u16, 2> l;
    CHECK(l.push(1).ok());
    CHECK(l.push(2).ok());
    CHECK(l.push(3).error() == Error::TooLong);
    const u16 many[] = {1, 2, 3};
    CHECK(l.assign(Span<const u16>(many, 3)).error() == Error::TooLong);
    REQUIRE(l.assign(Span<const u16>(many, 1)).ok());
    CHECK(l.view().size() == 1);
}

TEST_CASE("CapRef travels as one u64 slot reference", "[idl]") {
    u8 buf[8] = {};
    Writer w(buf, sizeof buf);
    w.put_cap(CapRef{0x1122334455667788ull});
    REQUIRE(w.status().ok());
    CapRef c;
    Reader r(buf, sizeof buf);
    REQUIRE(r.get_cap(c).ok());
    CHECK(c.slot == 0x1122334455667788ull);
}
