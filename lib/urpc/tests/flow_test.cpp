// Flow control and acks: a full ring refuses to send and overwrites nothing,
// credit comes back through piggybacked acks or, when the reverse direction
// is idle, through the ack line, and no ack ever reaches the user.
#include <catch2/catch.hpp>

#include "urpc/control.hpp"
#include "urpc/tests/helpers.hpp"
#include "urpc/wait.hpp"

using namespace mk;
using namespace mk::urpc;
using namespace mk::urpc::test;

namespace {

u64 fill_until_full(Endpoint& ep, u64 first_seq) {
    u64 seq = first_seq;
    for (;;) {
        Status s = ep.try_send(payload_for(seq));
        if (!s.ok()) {
            REQUIRE(s.error() == Error::Full);
            return seq - first_seq;
        }
        ++seq;
    }
}

}  // namespace

TEST_CASE("a full ring refuses to send, overwrites nothing, resumes after an ack", "[urpc]") {
    Pair p;
    REQUIRE(fill_until_full(p.a, 0) == kSlots);
    CHECK(p.a.credit() == 0);

    // B consumes one line short of its ack threshold: A hears nothing yet.
    for (u64 i = 0; i < kAckEvery - 1; ++i) {
        auto r = p.b.try_recv();
        REQUIRE(r.ok());
        REQUIRE(payload_matches(*r, i));
    }
    CHECK(p.frame->ring[1].ack.control == 0);
    CHECK(p.a.try_send(payload_for(999)).error() == Error::Full);
    // The consumed slot 0 still holds message 0: A did not reuse it unasked.
    CHECK(p.frame->ring[0].slot[0].payload[0] == 0);

    // The threshold-crossing receive writes the ack line.
    REQUIRE(p.b.try_recv().ok());
    CHECK(control::kind(p.frame->ring[1].ack.control) == control::kAck);
    CHECK(control::ack(p.frame->ring[1].ack.control) == kAckEvery);

    REQUIRE(fill_until_full(p.a, kSlots) == kAckEvery);
    // Everything arrives exactly once, in order.
    for (u64 seq = kAckEvery; seq < kSlots + kAckEvery; ++seq) {
        auto r = p.b.try_recv();
        REQUIRE(r.ok());
        REQUIRE(payload_matches(*r, seq));
    }
    CHECK(p.b.try_recv().error() == Error::Empty);
}

TEST_CASE("an idle reverse direction acks through the ack line", "[urpc]") {
    Pair p;
    // A streams, B only receives: ack lines every kAckEvery messages.
    u64 sent = 0;
    for (int round = 0; round < 10; ++round) {
        sent += fill_until_full(p.a, sent);
        while (p.b.try_recv().ok()) {
        }
        const u64 acked = control::ack(p.frame->ring[1].ack.control);
        CHECK(acked == p.b.received() - p.b.received() % kAckEvery);
    }
    CHECK(sent > 10 * kAckEvery);
    CHECK(p.b.received() == sent);
}

TEST_CASE("a busy reverse direction acks by piggyback and writes no ack line", "[urpc]") {
    Pair p;
    for (u64 i = 0; i < 50 * kSlots; ++i) {
        REQUIRE(p.a.try_send(payload_for(i)).ok());
        REQUIRE(p.b.try_recv().ok());
        if (i % 10 == 9) {
            REQUIRE(p.b.try_send(payload_for(i)).ok());
            REQUIRE(p.a.try_recv().ok());
        }
    }
    CHECK(p.frame->ring[1].ack.control == 0);
}

TEST_CASE("acks never reach the user", "[urpc]") {
    Pair p;
    u64 sent = 0;
    for (int round = 0; round < 5; ++round) {
        sent += fill_until_full(p.a, sent);
        while (p.b.try_recv().ok()) {
        }
        REQUIRE(control::kind(p.frame->ring[1].ack.control) == control::kAck);
        // A sees B's ack line through its credit, never as a message.
        CHECK_FALSE(p.a.has_message());
        CHECK(p.a.try_recv().error() == Error::Empty);
    }
    // Real messages from B still arrive, and only those.
    REQUIRE(p.b.try_send(payload_for(42)).ok());
    auto r = p.a.try_recv();
    REQUIRE(r.ok());
    CHECK(payload_matches(*r, 42));
    CHECK(p.a.try_recv().error() == Error::Empty);
    CHECK(p.a.received() == 1);

    // An ack-kind control word in a message slot is refused, not delivered.
    p.frame->ring[1].slot[1].control = control::ack_only(0, false);
    CHECK(p.a.try_recv().error() == Error::BadMessage);
    CHECK(p.a.received() == 1);
}

TEST_CASE("a full sender finds acks piggybacked on lines it has not read", "[urpc]") {
    Pair p;
    REQUIRE(fill_until_full(p.a, 0) == kSlots);
    for (u64 i = 0; i < kAckEvery - 1; ++i) REQUIRE(p.b.try_recv().ok());
    // B's reply carries its consumed count; A is busy sending and has not read it.
    REQUIRE(p.b.try_send(payload_for(7)).ok());
    CHECK(p.frame->ring[1].ack.control == 0);
    CHECK(fill_until_full(p.a, kSlots) == kAckEvery - 1);
    auto r = p.a.try_recv();
    REQUIRE(r.ok());
    CHECK(payload_matches(*r, 7));
}

TEST_CASE("blocking calls give up through their wait policy", "[urpc]") {
    Pair p;
    SpinWait bounded(1000);
    auto r = p.a.recv_blocking(bounded);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == Error::Timeout);

    REQUIRE(fill_until_full(p.a, 0) == kSlots);
    CHECK(p.a.send_blocking(payload_for(0), bounded).error() == Error::Timeout);
    CHECK_FALSE(p.a.can_send());
    for (u64 i = 0; i < kSlots; ++i) REQUIRE(p.b.recv_blocking(bounded).ok());
    CHECK(p.a.can_send());
    CHECK(p.a.send_blocking(payload_for(kSlots), bounded).ok());
}

TEST_CASE("publish_ack reports every consumed line at once", "[urpc]") {
    Pair p;
    for (u64 i = 0; i < 5; ++i) REQUIRE(p.a.try_send(payload_for(i)).ok());
    for (u64 i = 0; i < 5; ++i) REQUIRE(p.b.try_recv().ok());
    CHECK(p.frame->ring[1].ack.control == 0);
    p.b.publish_ack();
    CHECK(control::ack(p.frame->ring[1].ack.control) == 5);
}
