// Fragmentation by the Outbox and reassembly by the Reassembler, including
// every broken fragment sequence (outbox.hpp, reassembly.hpp).
#include <catch2/catch.hpp>

#include <vector>

#include "idl/outbox.hpp"
#include "idl/reassembly.hpp"

using namespace mk;
using namespace mk::idl;

namespace {

// A transport that keeps what it is sent and takes at most `room` payloads.
struct Capture {
    std::vector<Payload> sent;
    usize room = 1000;
    Status try_send(const Payload& p) {
        if (sent.size() >= room) return Error::Full;
        sent.push_back(p);
        return {};
    }
    bool try_recv(Payload&) { return false; }
};

std::vector<u8> pattern(usize n) {
    std::vector<u8> v(n);
    for (usize i = 0; i < n; ++i) v[i] = static_cast<u8>(i * 7 + 1);
    return v;
}

void queue(Outbox<200>& out, const std::vector<u8>& bytes, CallId call) {
    Writer w = out.begin(0x4242, 3, false, call);
    w.put_bytes(bytes.data(), bytes.size());
    REQUIRE(out.seal(w).ok());
}

}  // namespace

TEST_CASE("Outbox cuts a message into 48-byte fragments and resumes when full", "[idl]") {
    Outbox<200> out;
    Capture t;
    t.room = 2;
    std::vector<u8> msg = pattern(100);
    queue(out, msg, 77);
    CHECK(out.flush(t).error() == Error::Full);
    CHECK(out.busy());
    REQUIRE(t.sent.size() == 2);
    t.room = 10;
    REQUIRE(out.flush(t).ok());
    CHECK_FALSE(out.busy());
    REQUIRE(t.sent.size() == 3);

    std::vector<u8> got;
    for (usize i = 0; i < 3; ++i) {
        Header h = Header::unpack(t.sent[i].w[0]);
        CHECK(h.interface_tag == 0x4242);
        CHECK(h.method == 3);
        CHECK_FALSE(h.reply);
        CHECK(h.index == i);
        CHECK(h.count == 3);
        CHECK(h.call == 77);
        CHECK(h.length == (i < 2 ? 48 : 4));
        CHECK(body_padding_clear(t.sent[i], h.length));
        u8 body[kFragmentBytes];
        body_load(t.sent[i], body, h.length);
        got.insert(got.end(), body, body + h.length);
    }
    CHECK(got == msg);
}

TEST_CASE("An empty message is one fragment of length 0; error replies are 2 bytes", "[idl]") {
    Outbox<200> out;
    Capture t;
    Writer w = out.begin(1, 0, true, 5);
    REQUIRE(out.seal(w).ok());
    REQUIRE(out.flush(t).ok());
    Header h = Header::unpack(t.sent.at(0).w[0]);
    CHECK(h.count == 1);
    CHECK(h.length == 0);

    (void)out.begin(1, 0, true, 6);
    out.seal_error(Error::BadEnum);
    REQUIRE(out.flush(t).ok());
    h = Header::unpack(t.sent.at(1).w[0]);
    CHECK(h.error);
    CHECK(h.reply);
    CHECK(h.length == 2);
    CHECK(t.sent[1].w[1] == static_cast<u64>(Error::BadEnum));
}

TEST_CASE("Outbox refuses a body its Writer could not encode", "[idl]") {
    Outbox<200> out;
    Writer w = out.begin(1, 0, false, 1);
    std::vector<u8> big = pattern(201);
    w.put_bytes(big.data(), big.size());
    CHECK(out.seal(w).error() == Error::TooLong);
    CHECK_FALSE(out.busy());
}

TEST_CASE("Reassembler rebuilds interleaved messages and rejects broken sequences", "[idl]") {
    Capture t;
    Outbox<200> out;
    std::vector<u8> a = pattern(100);
    std::vector<u8> b = pattern(60);
    queue(out, a, 1);
    REQUIRE(out.flush(t).ok());
    queue(out, b, 2);
    REQUIRE(out.flush(t).ok());
    REQUIRE(t.sent.size() == 5);  // a0 a1 a2 b0 b1
    auto hdr = [&](usize i) { return Header::unpack(t.sent[i].w[0]); };

    Reassembler<200, 2> r;
    Message m;
    SECTION("interleaved calls complete independently") {
        for (usize i : {0, 3, 1, 4}) {
            Result<bool> done = r.add(hdr(i), t.sent[i], m);
            REQUIRE(done.ok());
            if (i == 4) {
                REQUIRE(done.value());
                CHECK(std::vector<u8>(m.bytes, m.bytes + m.size) == b);
            } else {
                CHECK_FALSE(done.value());
            }
        }
        Result<bool> done = r.add(hdr(2), t.sent[2], m);
        REQUIRE(done.ok());
        REQUIRE(done.value());
        CHECK(m.header.call == 1);
        CHECK(std::vector<u8>(m.bytes, m.bytes + m.size) == a);
        CHECK(r.partial_messages() == 0);
    }
    SECTION("a fragment out of order drops the partial message") {
        REQUIRE(r.add(hdr(0), t.sent[0], m).ok());
        CHECK(r.add(hdr(2), t.sent[2], m).error() == Error::BadFragment);
        CHECK(r.partial_messages() == 0);
        CHECK(r.add(hdr(1), t.sent[1], m).error() == Error::BadFragment);  // nothing to continue
    }
    SECTION("a repeated first fragment drops the partial message") {
        REQUIRE(r.add(hdr(0), t.sent[0], m).ok());
        CHECK(r.add(hdr(0), t.sent[0], m).error() == Error::BadFragment);
        CHECK(r.partial_messages() == 0);
    }
    SECTION("a continuation must match the first fragment's count and method") {
        REQUIRE(r.add(hdr(0), t.sent[0], m).ok());
        Header h = hdr(1);
        h.method = 4;
        CHECK(r.add(h, t.sent[1], m).error() == Error::BadFragment);
        REQUIRE(r.add(hdr(0), t.sent[0], m).ok());
        h = hdr(1);
        h.count = 4;
        CHECK(r.add(h, t.sent[1], m).error() == Error::BadFragment);
    }
    SECTION("more interleaved messages than slots is Full") {
        REQUIRE(r.add(hdr(0), t.sent[0], m).ok());
        REQUIRE(r.add(hdr(3), t.sent[3], m).ok());
        Header h = hdr(0);
        h.call = 3;
        CHECK(r.add(h, t.sent[0], m).error() == Error::Full);
        // The two partial messages are unharmed.
        REQUIRE(r.add(hdr(4), t.sent[4], m).value());
        r.reset();
        CHECK(r.partial_messages() == 0);
        CHECK(r.add(h, t.sent[0], m).ok());
    }
    SECTION("single-fragment messages need no slot") {
        REQUIRE(r.add(hdr(0), t.sent[0], m).ok());
        REQUIRE(r.add(hdr(3), t.sent[3], m).ok());
        Header h = hdr(4);
        h.index = 0;
        h.count = 1;
        h.call = 9;
        Result<bool> done = r.add(h, t.sent[4], m);
        REQUIRE(done.ok());
        CHECK(done.value());
        CHECK(m.size == 12);
    }
}
