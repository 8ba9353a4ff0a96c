// The engine's message handling: a round, votes that say no, conflicts
// between concurrent operations, retries and repeated messages.
#include "cluster.hpp"

using namespace agree_test;

namespace {

// Delivers the last message again and expects it to be recognised.
void redeliver_last(Cluster& cl, u8 to, Receipt expected) {
    CHECK(cl.engine(to).receive(cl.last) == expected);
}

}  // namespace

TEST_CASE("One operation commits on every core with 4(n-1) messages", "[agree]") {
    for (Topology t : {Topology::flat(8), Topology::tree(8, 2), Topology::grouped(8, 3)}) {
        Cluster cl(t);
        REQUIRE(cl.engine(3).start(key_op(0, 10, 5)).ok());
        CHECK(cl.engine(3).start(key_op(20, 30)).error() == Error::Busy);
        cl.run();
        u64 sent = 0;
        for (u8 c = 0; c < 8; ++c) {
            CHECK(cl.app(c).commits == 1);
            CHECK(cl.app(c).value == 5);
            CHECK(cl.app(c).reserved == 0);
            CHECK_FALSE(cl.engine(c).busy());
            sent += cl.engine(c).stats().sent_total();
        }
        CHECK(sent == 4 * 7);
        REQUIRE(cl.app(3).outcomes.size() == 1);
        CHECK(cl.app(3).outcomes[0] == Outcome::Committed);
        CHECK(cl.engine(3).idle());
    }
}

TEST_CASE("A single core agrees with itself without messages", "[agree]") {
    Cluster cl(Topology::tree(1, 2));
    REQUIRE(cl.engine(0).start(key_op(0, 1)).ok());
    CHECK(cl.pending() == 0);
    CHECK(cl.app(0).commits == 1);
    CHECK(cl.engine(0).idle());
}

TEST_CASE("A refusal aborts everywhere, undoes reservations and is not retried", "[agree]") {
    Cluster cl(Topology::tree(6, 2));
    cl.app(4).refuse = true;
    REQUIRE(cl.engine(0).start(key_op(0, 10)).ok());
    cl.run();
    for (u8 c = 0; c < 6; ++c) {
        CHECK(cl.app(c).commits == 0);
        CHECK(cl.app(c).reserved == 0);
        CHECK(cl.app(c).aborts == (c == 4 ? 0 : cl.app(c).prepares));
        CHECK_FALSE(cl.engine(c).busy());
    }
    REQUIRE(cl.app(0).outcomes.size() == 1);
    CHECK(cl.app(0).outcomes[0] == Outcome::Refused);
    cl.poll(1000000);
    CHECK(cl.pending() == 0);
    CHECK(cl.engine(0).stats().retries == 0);
}

TEST_CASE("An application's 'not now' aborts the attempt everywhere and the retry commits", "[agree]") {
    Cluster cl(Topology::tree(5, 2));
    cl.app(3).not_now = 2;
    REQUIRE(cl.engine(0).start(key_op(0, 10, 5)).ok());
    cl.run();
    for (u8 c = 0; c < 5; ++c) CHECK(cl.app(c).commits == 0);
    CHECK(cl.engine(0).state() == CoordinatorState::Backoff);
    for (u64 now = 1; now < 100000 && !cl.engine(0).idle(); now *= 2) {
        cl.poll(now);
        cl.run();
    }
    CHECK(cl.engine(0).idle());
    for (u8 c = 0; c < 5; ++c) {
        CHECK(cl.app(c).commits == 1);
        CHECK(cl.app(c).value == 5);
        CHECK(cl.app(c).reserved == 0);
        CHECK_FALSE(cl.engine(c).busy());
    }
    CHECK(cl.engine(0).stats().retries == 2);
    CHECK(cl.engine(3).stats().conflicts == 2);
    REQUIRE(cl.app(0).outcomes.size() == 1);
    CHECK(cl.app(0).outcomes[0] == Outcome::Committed);
}

TEST_CASE("Every repeated message is recognised and changes nothing", "[agree]") {
    Cluster cl(Topology::flat(3));
    REQUIRE(cl.engine(0).start(key_op(0, 10, 7)).ok());
    // Prepare to 1 and 2, each twice.
    CHECK(cl.deliver(0, 1) == Receipt::Accepted);
    redeliver_last(cl, 1, Receipt::Duplicate);
    CHECK(cl.deliver(0, 2) == Receipt::Accepted);
    redeliver_last(cl, 2, Receipt::Duplicate);
    CHECK(cl.app(1).prepares == 1);
    // Votes, twice.
    CHECK(cl.deliver(1, 0) == Receipt::Accepted);
    redeliver_last(cl, 0, Receipt::Duplicate);
    CHECK(cl.deliver(2, 0) == Receipt::Accepted);  // the last vote: the root commits
    redeliver_last(cl, 0, Receipt::Duplicate);
    CHECK(cl.app(0).commits == 1);
    // Commits, twice.
    CHECK(cl.deliver(0, 1) == Receipt::Accepted);
    redeliver_last(cl, 1, Receipt::Duplicate);
    CHECK(cl.deliver(0, 2) == Receipt::Accepted);
    redeliver_last(cl, 2, Receipt::Duplicate);
    // Acks, twice.
    CHECK(cl.deliver(1, 0) == Receipt::Accepted);
    redeliver_last(cl, 0, Receipt::Duplicate);
    CHECK(cl.deliver(2, 0) == Receipt::Accepted);
    const Message ack = cl.last;
    redeliver_last(cl, 0, Receipt::Duplicate);
    for (u8 c = 0; c < 3; ++c) CHECK(cl.app(c).value == 7);
    CHECK(cl.app(0).outcomes.size() == 1);

    // After the next operation, every message of the first one is stale.
    REQUIRE(cl.engine(0).start(key_op(0, 10, 1)).ok());
    cl.run();
    CHECK(cl.engine(0).receive(ack) == Receipt::Stale);
    for (u8 c = 0; c < 3; ++c) CHECK(cl.app(c).value == 8);
}

TEST_CASE("Conflicting operations started at once: the older wins, the younger retries", "[agree]") {
    Cluster cl(Topology::flat(3));
    REQUIRE(cl.engine(0).start(key_op(0, 10, 1)).ok());
    REQUIRE(cl.engine(1).start(key_op(5, 15, 100)).ok());
    // Both stamps are 1: core 0's operation is the older by core number.
    CHECK(cl.engine(0).slot(0).stamp == cl.engine(1).slot(1).stamp);
    // Core 1's prepare meets core 0's lock there: older holder, so it dies.
    CHECK(cl.deliver(1, 0) == Receipt::Accepted);
    CHECK(cl.engine(0).slot(1).local == Vote::Conflict);
    // Core 0's prepare meets core 1's lock there: a younger holder, so it waits.
    CHECK(cl.deliver(0, 1) == Receipt::Accepted);
    CHECK(cl.engine(1).slot(0).phase == Phase::Waiting);
    CHECK(cl.engine(1).stats().waits == 1);
    cl.run();
    // Core 1 aborted its attempt, which let core 0 in; core 0's operation is done.
    CHECK(cl.app(0).outcomes.size() == 1);
    CHECK(cl.engine(1).state() == CoordinatorState::Backoff);
    for (u8 c = 0; c < 3; ++c) CHECK(cl.app(c).value == 1);
    cl.poll(Engine::backoff(1, 0));
    cl.run();
    for (u8 c = 0; c < 3; ++c) {
        CHECK(cl.app(c).value == 101);
        CHECK(cl.app(c).reserved == 0);
    }
    CHECK(cl.engine(1).stats().retries == 1);
    CHECK(cl.app(1).outcomes.size() == 1);
}

TEST_CASE("Operations on disjoint claims do not interfere", "[agree]") {
    Cluster cl(Topology::tree(5, 2));
    for (u8 c = 0; c < 5; ++c) REQUIRE(cl.engine(c).start(key_op(c * 10, c * 10 + 10, 1)).ok());
    cl.run();
    for (u8 c = 0; c < 5; ++c) {
        CHECK(cl.app(c).value == 5);
        CHECK(cl.engine(c).stats().retries == 0);
        CHECK(cl.engine(c).idle());
    }
}

TEST_CASE("Backoff is deterministic, grows with the attempt and differs per core", "[agree]") {
    CHECK(Engine::backoff(3, 2) == Engine::backoff(3, 2));
    CHECK(Engine::backoff(3, 2) > Engine::backoff(3, 1));
    CHECK(Engine::backoff(2, 1) != Engine::backoff(3, 1));
    CHECK(Engine::backoff(0, 60000) == Engine::backoff(0, 8));  // capped
}
