// A peer that writes garbage into its own ring must only cause errors on our
// side: never a crash, an out-of-bounds read (the sanitizers watch), a write
// into the peer's ring, a lost count, or an endless wait.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>

#include "urpc/control.hpp"
#include "urpc/tests/helpers.hpp"
#include "urpc/wait.hpp"

using namespace mk;
using namespace mk::urpc;
using namespace mk::urpc::test;

namespace {

// Drives one exchange so that both rings are past their first lap.
void warm_up(Pair& p, u64 n) {
    for (u64 i = 0; i < n; ++i) {
        REQUIRE(p.a.try_send(payload_for(i)).ok());
        REQUIRE(p.b.try_recv().ok());
        REQUIRE(p.b.try_send(payload_for(i)).ok());
        REQUIRE(p.a.try_recv().ok());
    }
}

void check_refused(Pair& p, u64 bad_control) {
    Line& next = p.frame->ring[1].slot[p.a.received() % kSlots];
    const u64 good = next.control;
    const u64 before = p.a.received();
    next.control = bad_control;
    CHECK(p.a.has_message());  // there is something to report
    for (int i = 0; i < 3; ++i) CHECK(p.a.try_recv().error() == Error::BadMessage);
    CHECK(p.a.received() == before);
    SpinWait forever(0);  // would hang if corruption read as "nothing yet"
    CHECK(p.a.recv_blocking(forever).error() == Error::BadMessage);
    next.control = good;  // the peer repairs its line: the channel resumes
    auto r = p.a.try_recv();
    REQUIRE(r.ok());
    CHECK(payload_matches(*r, 1000));
}

}  // namespace

TEST_CASE("corrupted control words of the next line are refused", "[urpc]") {
    Pair p;
    warm_up(p, 2 * kSlots + 3);  // the next slot of ring 1 holds a stale line of lap 3
    REQUIRE(p.b.try_send(payload_for(1000)).ok());
    const u64 good = p.frame->ring[1].slot[p.a.received() % kSlots].control;
    const u8 lap = control::tag(good);

    SECTION("wrong kind") { check_refused(p, control::make(0x42, lap, control::ack(good))); }
    SECTION("ack kind in a message slot") { check_refused(p, control::ack_only(control::ack(good), false)); }
    SECTION("lap from the future") { check_refused(p, control::data(static_cast<u8>(lap + 1), 0)); }
    SECTION("lap two behind") { check_refused(p, control::data(static_cast<u8>(lap - 2), 0)); }
    SECTION("zero after the first lap") { check_refused(p, 0); }
    SECTION("all ones") { check_refused(p, ~u64{0}); }
    SECTION("ack of lines never sent") {
        check_refused(p, control::data(lap, p.a.sent() + 1));
    }
}

TEST_CASE("a corrupted ack line makes a full sender fail, not overrun", "[urpc]") {
    Pair p;
    for (u64 i = 0; i < kSlots; ++i) REQUIRE(p.a.try_send(payload_for(i)).ok());
    SECTION("garbage kind") {
        p.frame->ring[1].ack.control = 0x1234567812345678ULL;
        CHECK(p.a.try_send(payload_for(0)).error() == Error::BadMessage);
    }
    SECTION("acks more than was sent") {
        p.frame->ring[1].ack.control = control::ack_only(kSlots + 1, false);
        CHECK(p.a.try_send(payload_for(0)).error() == Error::BadMessage);
    }
    CHECK(p.a.credit() == 0);
    CHECK(p.a.sent() == kSlots);
    CHECK(p.frame->ring[0].slot[0].payload[0] == 0);  // message 0 not overwritten
}

TEST_CASE("random garbage in the peer's ring gives errors, never crashes", "[urpc]") {
    std::mt19937_64 rng(20240611);
    u64 errors = 0;
    for (int trial = 0; trial < 300; ++trial) {
        Pair p;
        warm_up(p, rng() % (3 * kSlots));
        const u64 extra = rng() % (kSlots - 1);  // B has all but one slot of credit
        for (u64 i = 0; i < extra; ++i) REQUIRE(p.b.try_send(payload_for(i)).ok());

        // Scribble over B's outbound ring: control words, payloads, the ack line.
        u64* words = reinterpret_cast<u64*>(&p.frame->ring[1]);
        const usize nwords = sizeof(Ring) / sizeof(u64);
        const int scribbles = 1 + static_cast<int>(rng() % 64);
        for (int i = 0; i < scribbles; ++i) {
            u64 v = rng();
            if (rng() % 4 == 0) v = control::data(static_cast<u8>(rng() % 4), rng());  // near misses
            words[rng() % nwords] = v;
        }
        Ring snapshot;
        std::memcpy(&snapshot, &p.frame->ring[1], sizeof(Ring));

        for (int op = 0; op < 200; ++op) {
            switch (rng() % 4) {
                case 0: {
                    auto r = p.a.try_recv();
                    if (!r.ok()) {
                        REQUIRE((r.error() == Error::Empty || r.error() == Error::BadMessage));
                        errors += r.error() == Error::BadMessage;
                    }
                    break;
                }
                case 1: (void)p.a.has_message(); break;
                case 2: (void)p.a.can_send(); break;
                default: {
                    Status s = p.a.try_send(payload_for(op));
                    if (!s.ok()) {
                        REQUIRE((s.error() == Error::Full || s.error() == Error::BadMessage));
                        errors += s.error() == Error::BadMessage;
                    }
                }
            }
            REQUIRE(p.a.credit() <= kSlots);
            REQUIRE(p.a.received() <= p.b.sent() + kSlots);
        }
        // A only reads the peer's ring, whatever it finds there.
        REQUIRE(std::memcmp(&snapshot, &p.frame->ring[1], sizeof(Ring)) == 0);
    }
    CHECK(errors > 0);
}
