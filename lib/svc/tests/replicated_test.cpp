// Replicated state: concurrent proposers on every replica, delivered in many
// interleavings; every replica must apply the identical sequence, holding
// every proposed update exactly once and each proposer's in its order.
#include "net.hpp"

#include <set>

using namespace svc_test;

namespace {

svc::Update update(u8 origin, u64 i) {
    svc::Update u;
    u.action = 1;
    u.arg[0] = origin;
    u.arg[1] = i;
    u.arg[2] = origin * 1000 + i;
    return u;
}

void check_identical(Replicas<>& r, u64 per_replica) {
    const auto& first = r.machine(0).applied;
    REQUIRE(first.size() == r.size() * per_replica);
    for (u8 i = 1; i < r.size(); ++i) {
        CHECK(r.machine(i).applied == first);
        CHECK(r.state(i).digest() == r.state(0).digest());
        CHECK(r.state(i).applied_count() == first.size());
    }
    std::set<std::pair<u64, u64>> seen;
    std::vector<u64> next(r.size(), 0);
    for (const Applied& a : first) {
        CHECK(a.update.arg[0] == a.origin);            // applied with its true origin
        CHECK(seen.insert({a.origin, a.update.arg[1]}).second);  // once
        CHECK(a.update.arg[1] == next[a.origin]);       // each proposer's in its order
        ++next[a.origin];
    }
}

}  // namespace

TEST_CASE("Concurrent proposers: every replica applies the same sequence", "[svc]") {
    constexpr u64 kPerReplica = 12;
    for (u8 n : {1, 2, 3, 4, 8}) {
        for (int shape = 0; shape < 2; ++shape) {
            for (u64 seed = 0; seed < 12; ++seed) {
                INFO("replicas " << int(n) << " topology " << (shape == 0 ? "flat" : "tree") << " seed " << seed);
                Replicas<> r(n, shape == 0 ? agree::Topology::flat(n) : agree::Topology::tree(n, 2), seed);
                std::vector<std::vector<u32>> tickets(n);
                for (u64 i = 0; i < kPerReplica; ++i) {
                    for (u8 o = 0; o < n; ++o) tickets[o].push_back(*r.state(o).propose(update(o, i)));
                }
                for (u8 o = 0; o < n; ++o) CHECK(r.state(o).status(tickets[o][0]).error() == Error::Empty);
                r.run();
                check_identical(r, kPerReplica);
                for (u8 o = 0; o < n; ++o) {
                    for (u32 t : tickets[o]) CHECK(r.state(o).status(t).ok());
                    CHECK(r.state(o).queued() == 0);
                    CHECK_FALSE(r.engine(o).busy());
                }
            }
        }
    }
}

TEST_CASE("Proposals made while others run join the same order", "[svc]") {
    Replicas<> r(4, agree::Topology::flat(4), 7);
    u64 made[4] = {};
    for (int round = 0; round < 30; ++round) {
        u8 o = static_cast<u8>(r.rng() % 4);
        REQUIRE(r.state(o).propose(update(o, made[o]++)).ok());
        r.run(static_cast<u64>(r.rng() % 40 + 1) * 100000);
    }
    r.run();
    u64 total = made[0] + made[1] + made[2] + made[3];
    const auto& first = r.machine(0).applied;
    REQUIRE(first.size() == total);
    for (u8 i = 1; i < 4; ++i) CHECK(r.machine(i).applied == first);
}

TEST_CASE("Messages delivered twice change nothing", "[svc]") {
    for (u64 seed = 0; seed < 10; ++seed) {
        INFO("seed " << seed);
        Replicas<> r(4, agree::Topology::tree(4, 2), seed);
        for (u64 i = 0; i < 8; ++i) {
            for (u8 o = 0; o < 4; ++o) REQUIRE(r.state(o).propose(update(o, i)).ok());
        }
        r.run(2000000, 10);
        check_identical(r, 8);
    }
}

TEST_CASE("An update the state refuses is refused on every replica", "[svc]") {
    Replicas<> r(3, agree::Topology::flat(3), 1);
    for (u8 i = 0; i < 3; ++i) r.machine(i).refuse = 2;
    svc::Update bad = update(1, 0);
    bad.action = 2;
    u32 refused = *r.state(1).propose(bad);
    u32 good = *r.state(1).propose(update(1, 0));
    r.run();
    CHECK(r.state(1).status(refused).error() == Error::NoRights);
    CHECK(r.state(1).status(good).ok());
    CHECK(r.state(1).refused() == 1);
    for (u8 i = 0; i < 3; ++i) {
        REQUIRE(r.machine(i).applied.size() == 1);
        CHECK(r.machine(i).applied[0].update == update(1, 0));
    }
}

TEST_CASE("Bad proposals and bad operations are refused and change nothing", "[svc]") {
    Replicas<> r(2, agree::Topology::flat(2), 3);
    svc::Update zero;
    CHECK(r.state(0).propose(zero).error() == Error::InvalidArgument);
    svc::Update invalid = update(0, 0);
    invalid.action = 99;
    CHECK(r.state(0).propose(invalid).error() == Error::InvalidArgument);
    CHECK(r.state(0).status(0).error() == Error::NotFound);
    CHECK(r.state(0).status(1).error() == Error::NotFound);  // never issued
    for (u32 i = 0; i < svc::Replicated::kQueue; ++i) REQUIRE(r.state(0).propose(update(0, i)).ok());
    CHECK(r.state(0).propose(update(0, 99)).error() == Error::Full);

    // A prepare naming a replica that does not exist, or carrying an update
    // the machine cannot decode, is Malformed at the receiver.
    agree::Message m;
    m.kind = agree::Kind::Prepare;
    m.from = 1;
    m.coordinator = 1;
    m.seq = 1;
    m.stamp = 1;
    m.op = r.state(1).encode(update(1, 0), 1);
    m.op.small = 5;
    CHECK(r.engine(0).receive(m) == agree::Receipt::Malformed);
    m.op = r.state(1).encode(invalid, 1);
    CHECK(r.engine(0).receive(m) == agree::Receipt::Malformed);
    m.op = r.state(1).encode(update(1, 0), 0);  // ticket 0
    CHECK(r.engine(0).receive(m) == agree::Receipt::Malformed);
    m.op = r.state(1).encode(update(1, 0), 1);
    m.op.family = agree::kFamilyNames;
    CHECK(r.engine(0).receive(m) == agree::Receipt::Malformed);
    CHECK(r.machine(0).applied.empty());
    CHECK_FALSE(r.engine(0).busy());
    r.run();
    CHECK(r.machine(0).applied.size() == svc::Replicated::kQueue);
    CHECK(r.machine(1).applied == r.machine(0).applied);
}

TEST_CASE("Two streams on one engine are ordered independently", "[svc]") {
    // A claim per stream: updates of different streams never wait for each other.
    svc_test::Log a, b;
    svc::Replicated sa(agree::kFamilyService, 1, 0, 1, a), sb(agree::kFamilyService, 2, 0, 1, b);
    agree::Claim ca[agree::kMaxClaims], cb[agree::kMaxClaims];
    REQUIRE(sa.claims(sa.encode(update(0, 0), 1), ca) == 1);
    REQUIRE(sb.claims(sb.encode(update(0, 0), 1), cb) == 1);
    CHECK_FALSE(agree::overlaps(ca[0], cb[0]));
    CHECK(agree::overlaps(ca[0], ca[0]));
}
