// The payload header layout and check_frame(), path by path (wire.hpp,
// frame_check.hpp).
#include <catch2/catch.hpp>

#include "idl/frame_check.hpp"
#include "idl/wire.hpp"

using namespace mk;
using namespace mk::idl;

namespace {

// Method 0: requests up to 100 bytes (3 fragments), replies up to 10.
// Method 1: one-way, empty requests.
constexpr MethodInfo kMethods[] = {{100, 10, false}, {0, 0, true}};
constexpr InterfaceInfo kInfo = {0xbeef, 2, kMethods};

Header request(u8 index, u8 count, u8 length) {
    Header h;
    h.interface_tag = 0xbeef;
    h.method = 0;
    h.index = index;
    h.count = count;
    h.length = length;
    h.call = 9;
    return h;
}

Payload frame(const Header& h, u8 fill = 0x5a) {
    Payload p{};
    p.w[0] = h.pack();
    u8 body[kFragmentBytes];
    for (usize i = 0; i < kFragmentBytes; ++i) body[i] = fill;
    body_store(p, body, h.length <= kFragmentBytes ? h.length : kFragmentBytes);
    return p;
}

Error check(const Header& h, bool want_reply = false) {
    Status s = check_frame(kInfo, h, frame(h), want_reply);
    return s.ok() ? Error::Ok : s.error();
}

}  // namespace

TEST_CASE("Header fields sit at the documented bit positions", "[idl]") {
    Header h;
    h.interface_tag = 0x1234;
    h.method = 0x56;
    h.reply = true;
    h.error = false;
    h.length = 48;
    h.index = 0x9a;
    h.count = 0xbc;
    h.call = 0xdef0;
    u64 w = h.pack();
    CHECK(w == (0x1234ull | 0x56ull << 16 | 1ull << 24 | 48ull << 26 | 0x9aull << 32 |
                0xbcull << 40 | 0xdef0ull << 48));
    Header back = Header::unpack(w);
    CHECK(back.interface_tag == 0x1234);
    CHECK(back.method == 0x56);
    CHECK(back.reply);
    CHECK_FALSE(back.error);
    CHECK(back.length == 48);
    CHECK(back.index == 0x9a);
    CHECK(back.count == 0xbc);
    CHECK(back.call == 0xdef0);
    CHECK(Header::unpack(u64{1} << 25).error);
}

TEST_CASE("Interface tags fold the schema id, fragment counts round up", "[idl]") {
    CHECK(interface_tag(0x1111222233334444ull) == (0x1111 ^ 0x2222 ^ 0x3333 ^ 0x4444));
    CHECK(fragments_for(0) == 1);
    CHECK(fragments_for(1) == 1);
    CHECK(fragments_for(48) == 1);
    CHECK(fragments_for(49) == 2);
    CHECK(kMaxMessageBytes == 255 * 48);
}

TEST_CASE("Body bytes map to words 1..6 little-endian; padding is checked", "[idl]") {
    Payload p{};
    u8 src[kFragmentBytes];
    for (usize i = 0; i < kFragmentBytes; ++i) src[i] = static_cast<u8>(i + 1);
    body_store(p, src, 10);
    CHECK(p.w[0] == 0);
    CHECK(p.w[1] == 0x0807060504030201ull);
    CHECK(p.w[2] == 0x0a09ull);
    CHECK(p.w[3] == 0);
    u8 back[kFragmentBytes] = {};
    body_load(p, back, 10);
    for (usize i = 0; i < 10; ++i) CHECK(back[i] == i + 1);
    CHECK(body_padding_clear(p, 10));
    CHECK_FALSE(body_padding_clear(p, 9));
    p.w[6] = u64{1} << 63;
    CHECK_FALSE(body_padding_clear(p, 10));
}

TEST_CASE("check_frame accepts well-formed requests and replies", "[idl]") {
    CHECK(check(request(0, 1, 48)) == Error::Ok);
    CHECK(check(request(0, 3, 48)) == Error::Ok);
    CHECK(check(request(2, 3, 4)) == Error::Ok);  // 2 * 48 + 4 = 100 bytes
    Header reply = request(0, 1, 10);
    reply.reply = true;
    CHECK(check(reply, true) == Error::Ok);
    Header err = request(0, 1, 2);
    err.reply = err.error = true;
    CHECK(check(err, true) == Error::Ok);
    Header empty = request(0, 1, 0);
    empty.method = 1;
    CHECK(check(empty) == Error::Ok);
}

TEST_CASE("check_frame names each problem with its Error", "[idl]") {
    Header h = request(0, 1, 8);
    h.interface_tag = 0xbeee;
    CHECK(check(h) == Error::BadMessage);

    CHECK(check(request(0, 1, 8), true) == Error::BadMessage);  // a request at a client
    h = request(0, 1, 8);
    h.error = true;
    CHECK(check(h) == Error::BadMessage);  // error flag on a request

    h = request(0, 1, 8);
    h.method = 2;
    CHECK(check(h) == Error::UnknownMethod);
    h.method = 255;
    CHECK(check(h) == Error::UnknownMethod);

    h = request(0, 1, 0);
    h.method = 1;
    h.reply = true;
    CHECK(check(h, true) == Error::BadMessage);  // reply to a one-way method

    CHECK(check(request(0, 1, 49)) == Error::BadFragment);  // length above 48
    CHECK(check(request(0, 1, 63)) == Error::BadFragment);
    CHECK(check(request(0, 0, 8)) == Error::BadFragment);   // count 0
    CHECK(check(request(3, 3, 8)) == Error::BadFragment);   // index >= count
    CHECK(check(request(0, 4, 48)) == Error::BadFragment);  // 100 bytes need 3, not 4
    CHECK(check(request(0, 3, 47)) == Error::BadFragment);  // short fragment before the last
    CHECK(check(request(1, 2, 0)) == Error::BadFragment);   // empty last fragment of two
    CHECK(check(request(2, 3, 5)) == Error::TooLong);       // 101 bytes > 100

    h = request(0, 1, 11);
    h.reply = true;
    CHECK(check(h, true) == Error::TooLong);  // replies are at most 10 bytes
    h = request(0, 1, 3);
    h.reply = h.error = true;
    CHECK(check(h, true) == Error::TooLong);  // an error reply is 2 bytes

    h = request(0, 1, 8);
    Payload p = frame(h);
    p.w[6] = 1;  // a byte after the 8 the header declares
    CHECK(check_frame(kInfo, h, p, false).error() == Error::BadFragment);
}

TEST_CASE("Error replies carry one known, non-Ok code", "[idl]") {
    Error e = Error::Ok;
    const u8 bad_enum[] = {static_cast<u8>(Error::BadEnum), 0};
    REQUIRE(parse_error_reply(bad_enum, 2, e));
    CHECK(e == Error::BadEnum);
    const u8 ok[] = {0, 0};
    CHECK_FALSE(parse_error_reply(ok, 2, e));
    const u8 unknown[] = {0xff, 0x7f};
    CHECK_FALSE(parse_error_reply(unknown, 2, e));
    CHECK_FALSE(parse_error_reply(bad_enum, 1, e));
}
