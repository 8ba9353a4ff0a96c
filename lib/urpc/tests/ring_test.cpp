// Ring mechanics on one thread: where lines land, wrap-around over many laps
// (including the 8-bit lap counter wrapping), and stale lines from the
// previous lap never read as new messages.
#include <catch2/catch.hpp>

#include "urpc/control.hpp"
#include "urpc/tests/helpers.hpp"

using namespace mk;
using namespace mk::urpc;
using namespace mk::urpc::test;

TEST_CASE("side A publishes into ring 0 and side B into ring 1", "[urpc]") {
    Pair p;
    REQUIRE(p.a.try_send(payload_for(7)).ok());
    const Line& l = p.frame->ring[0].slot[0];
    CHECK(control::kind(l.control) == control::kData);
    CHECK(control::tag(l.control) == 1);  // the first lap is lap 1
    CHECK(l.payload[0] == 7);
    CHECK(p.frame->ring[1].slot[0].control == 0);

    REQUIRE(p.b.try_send(payload_for(9)).ok());
    CHECK(p.frame->ring[1].slot[0].payload[0] == 9);

    auto at_b = p.b.try_recv();
    REQUIRE(at_b.ok());
    CHECK(payload_matches(*at_b, 7));
    auto at_a = p.a.try_recv();
    REQUIRE(at_a.ok());
    CHECK(payload_matches(*at_a, 9));
}

TEST_CASE("an empty channel reports Empty and has_message is false", "[urpc]") {
    Pair p;
    CHECK_FALSE(p.a.has_message());
    auto r = p.a.try_recv();
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == Error::Empty);
    REQUIRE(p.b.try_send(payload_for(1)).ok());
    CHECK(p.a.has_message());
    CHECK(p.a.has_message());  // looking does not consume
    CHECK(p.a.try_recv().ok());
    CHECK_FALSE(p.a.has_message());
}

TEST_CASE("messages arrive in order across hundreds of laps", "[urpc]") {
    // 300 laps of 31 slots: the lap byte in the control word wraps past 255.
    Pair p;
    const u64 total = 300 * kSlots + 5;
    u64 next_send = 0;
    u64 next_recv = 0;
    u64 batch = 1;
    while (next_recv < total) {
        // Vary the batch so that slot boundaries fall everywhere.
        for (u64 i = 0; i < batch && next_send < total; ++i) {
            REQUIRE(p.a.try_send(payload_for(next_send)).ok());
            ++next_send;
        }
        while (true) {
            auto r = p.b.try_recv();
            if (!r.ok()) {
                REQUIRE(r.error() == Error::Empty);
                break;
            }
            REQUIRE(payload_matches(*r, next_recv));
            ++next_recv;
        }
        REQUIRE(next_recv == next_send);
        // B never sends, so A's credit comes back only through ack lines.
        // B reports at least every kAckEvery lines and has drained the ring,
        // so A can always refill at least kAckEvery slots.
        batch = batch % kAckEvery + 1;
    }
    CHECK(p.b.received() == total);
    CHECK(p.a.sent() == total);
}

TEST_CASE("ping-pong wraps both rings in lock step", "[urpc]") {
    Pair p;
    for (u64 i = 0; i < 20 * kSlots; ++i) {
        REQUIRE(p.a.try_send(payload_for(2 * i)).ok());
        auto at_b = p.b.try_recv();
        REQUIRE(at_b.ok());
        REQUIRE(payload_matches(*at_b, 2 * i));
        REQUIRE(p.b.try_send(payload_for(2 * i + 1)).ok());
        auto at_a = p.a.try_recv();
        REQUIRE(at_a.ok());
        REQUIRE(payload_matches(*at_a, 2 * i + 1));
        // Piggybacked acks keep full credit: nothing is ever outstanding.
        REQUIRE(p.a.credit() == kSlots);
    }
    // The replies carried every ack, so no ack line was ever needed.
    CHECK(p.frame->ring[0].ack.control == 0);
    CHECK(p.frame->ring[1].ack.control == 0);
}

TEST_CASE("a stale line from the previous lap is not a new message", "[urpc]") {
    Pair p;
    for (int lap = 0; lap < 3; ++lap) {
        for (usize i = 0; i < kSlots; ++i) REQUIRE(p.a.try_send(payload_for(i)).ok());
        for (usize i = 0; i < kSlots; ++i) REQUIRE(p.b.try_recv().ok());
        p.b.publish_ack();  // B never sends: report the whole lap
        // Every slot now holds an already-consumed line of this lap.
        CHECK_FALSE(p.b.has_message());
        auto r = p.b.try_recv();
        REQUIRE_FALSE(r.ok());
        CHECK(r.error() == Error::Empty);
        CHECK(p.b.received() == (lap + 1) * kSlots);
    }
}
