// The shared-state experiment's logic on host threads: the lock keeps every
// update (the record's counts and sums come out exact), the owner applies
// every client's updates exactly once and in order, a loopback client can
// serve its own owner, the statistics are right, and a missing peer ends
// in Timeout rather than a hang.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "bench/shared_update.hpp"

using namespace mk;
using namespace mk::bench;

namespace {

// Nanoseconds of the host's steady clock as ticks.
struct HostClock {
    u64 now() {
        return static_cast<u64>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::steady_clock::now().time_since_epoch())
                                    .count());
    }
};

constexpr u64 kSeconds = 1000000000ull;

UpdatePlan plan(u32 lines, u32 samples, u32 participants, u64 timeout = 60 * kSeconds) {
    return UpdatePlan{lines, samples / 10, samples, participants, timeout};
}

u64 sum_for(u32 first_core, u32 cores, u64 updates) {
    u64 s = 0;
    for (u32 c = first_core; c < first_core + cores; ++c) s += update_value_sum(c, updates);
    return s;
}

std::unique_ptr<urpc::Frame> new_frame() {
    auto f = std::make_unique<urpc::Frame>();
    f->reset();
    return f;
}

}  // namespace

TEST_CASE("an update writes every word of the chosen lines and nothing else", "[bench]") {
    RecordLine rec[kMaxRecordLines] = {};
    apply_update(rec, 4, 10);
    apply_update(rec, 4, 5);
    CHECK(record_holds(rec, 4, 2, 15));
    CHECK_FALSE(record_holds(rec, 4, 2, 14));
    CHECK_FALSE(record_holds(rec, 5, 2, 15));
    CHECK_FALSE(record_holds(rec, 3, 2, 15));
    rec[7].w[3] = 1;  // a stray write outside the record
    CHECK_FALSE(record_holds(rec, 4, 2, 15));
}

TEST_CASE("update values sum as update_value_sum says", "[bench]") {
    for (u32 core : {0u, 1u, 7u, 63u}) {
        u64 s = 0;
        for (u64 i = 0; i < 1234; ++i) s += update_value(core, i);
        CHECK(s == update_value_sum(core, 1234));
    }
}

TEST_CASE("sort and summary", "[bench]") {
    std::mt19937_64 rng(7);
    for (usize n : {1u, 2u, 3u, 100u, 1001u, 4096u}) {
        std::vector<u64> v(n);
        for (auto& x : v) x = rng() % 1000;
        std::vector<u64> want = v;
        std::sort(want.begin(), want.end());
        Summary s = summarize(v.data(), n);
        CHECK(v == want);
        CHECK(s.median == want[n / 2]);
        CHECK(s.p99 == want[n * 99 / 100]);
    }
}

TEST_CASE("messages carry a tag and a known kind", "[bench]") {
    auto m = make_message(MsgKind::Update, 3, 4);
    REQUIRE(message_kind(m).ok());
    CHECK(*message_kind(m) == MsgKind::Update);
    m.w[0] ^= u64{1} << 40;
    CHECK(message_kind(m).error() == Error::BadMessage);
    urpc::Payload zero{};
    CHECK(message_kind(zero).error() == Error::BadMessage);
    auto bad = make_message(MsgKind::Applied);
    bad.w[0] += 1;  // one past the last kind
    CHECK(message_kind(bad).error() == Error::BadMessage);
}

TEST_CASE("the lock method loses no update with several threads", "[bench]") {
    const u32 threads = 4;
    for (u32 lines : {1u, 4u, 8u}) {
        auto region = std::make_unique<SharedRegion>();
        *region = SharedRegion{};
        const UpdatePlan p = plan(lines, 3000, threads);
        std::vector<std::vector<u64>> samples(threads, std::vector<u64>(p.samples));
        // Catch2's assertions are not thread-safe: threads only record.
        std::vector<Error> errors(threads, Error::Ok);
        std::vector<Summary> summaries(threads);
        std::vector<std::thread> pool;
        for (u32 t = 0; t < threads; ++t) {
            pool.emplace_back([&, t] {
                HostClock clock;
                auto r = run_lock_updates(*region, p, t, samples[t].data(), clock);
                errors[t] = r.error();
                if (r.ok()) summaries[t] = *r;
            });
        }
        for (auto& th : pool) th.join();
        for (u32 t = 0; t < threads; ++t) {
            CHECK(errors[t] == Error::Ok);
            CHECK(summaries[t].median <= summaries[t].p99);
        }
        CHECK(region->arrived == threads);
        CHECK(region->lock.held == 0);
        CHECK(record_holds(region->record, lines, threads * p.updates(), sum_for(0, threads, p.updates())));
    }
}

TEST_CASE("the message method applies every update once, in order", "[bench]") {
    const u32 clients = 3;
    for (u32 lines : {1u, 8u}) {
        std::vector<std::unique_ptr<urpc::Frame>> frames;
        std::vector<urpc::Endpoint> owner_ends(clients), client_ends(clients);
        urpc::Endpoint* owner_ptrs[clients];
        for (u32 c = 0; c < clients; ++c) {
            frames.push_back(new_frame());
            owner_ends[c] = urpc::Endpoint::init(*frames[c], urpc::Side::A);
            client_ends[c] = urpc::Endpoint::init(*frames[c], urpc::Side::B);
            owner_ptrs[c] = &owner_ends[c];
        }
        const UpdatePlan p = plan(lines, 1000, clients);
        RecordLine record[kMaxRecordLines] = {};
        UpdateOwner owner(owner_ptrs, clients, record, lines, p.updates());
        std::vector<Error> errors(clients, Error::Ok);
        std::vector<std::thread> pool;
        for (u32 c = 0; c < clients; ++c) {
            pool.emplace_back([&, c] {
                HostClock clock;
                std::vector<u64> samples(p.samples);
                // More spinning threads than host CPUs: let the owner run.
                u32 spins = 0;
                auto idle = [&spins] {
                    if ((++spins & 255) == 0) std::this_thread::yield();
                };
                errors[c] = run_message_updates(client_ends[c], p, c + 1, samples.data(), clock, idle).error();
            });
        }
        HostClock clock;
        CHECK(run_owner(owner, clock, 60 * kSeconds).ok());
        for (auto& th : pool) th.join();
        for (u32 c = 0; c < clients; ++c) CHECK(errors[c] == Error::Ok);
        CHECK(owner.done());
        CHECK(owner.applied() == clients * p.updates());
        CHECK(record_holds(record, lines, clients * p.updates(), sum_for(1, clients, p.updates())));
    }
}

TEST_CASE("a loopback client serves its own owner while it waits", "[bench]") {
    auto frame = new_frame();
    urpc::Endpoint owner_end = urpc::Endpoint::init(*frame, urpc::Side::A);
    urpc::Endpoint client_end = urpc::Endpoint::init(*frame, urpc::Side::B);
    urpc::Endpoint* ptrs[1] = {&owner_end};
    const UpdatePlan p = plan(4, 500, 1);
    RecordLine record[kMaxRecordLines] = {};
    UpdateOwner owner(ptrs, 1, record, 4, p.updates());
    std::vector<u64> samples(p.samples);
    HostClock clock;
    Status owner_status;
    auto r = run_message_updates(client_end, p, 0, samples.data(), clock, [&] {
        if (owner_status.ok()) owner_status = owner.poll();
    });
    REQUIRE(r.ok());
    CHECK(owner_status.ok());
    CHECK(owner.done());
    CHECK(record_holds(record, 4, p.updates(), update_value_sum(0, p.updates())));
}

TEST_CASE("a missing peer ends in Timeout", "[bench]") {
    HostClock clock;
    std::vector<u64> samples(10);
    SECTION("lock: a barrier partner never arrives") {
        auto region = std::make_unique<SharedRegion>();
        *region = SharedRegion{};
        CHECK(run_lock_updates(*region, plan(1, 10, 2, kSeconds / 20), 0, samples.data(), clock).error() ==
              Error::Timeout);
    }
    SECTION("lock: the lock is never released") {
        auto region = std::make_unique<SharedRegion>();
        *region = SharedRegion{};
        region->lock.held = 1;
        CHECK(run_lock_updates(*region, plan(1, 10, 1, kSeconds / 20), 0, samples.data(), clock).error() ==
              Error::Timeout);
    }
    SECTION("message: the owner never answers") {
        auto frame = new_frame();
        urpc::Endpoint client_end = urpc::Endpoint::init(*frame, urpc::Side::B);
        CHECK(run_message_updates(client_end, plan(1, 10, 1, kSeconds / 20), 0, samples.data(), clock).error() ==
              Error::Timeout);
    }
    SECTION("owner: a client never comes") {
        auto frame = new_frame();
        urpc::Endpoint owner_end = urpc::Endpoint::init(*frame, urpc::Side::A);
        urpc::Endpoint* ptrs[1] = {&owner_end};
        RecordLine record[kMaxRecordLines] = {};
        UpdateOwner owner(ptrs, 1, record, 1, 10);
        CHECK(run_owner(owner, clock, kSeconds / 20).error() == Error::Timeout);
    }
}

TEST_CASE("the owner refuses out-of-order and unexpected messages", "[bench]") {
    auto frame = new_frame();
    urpc::Endpoint owner_end = urpc::Endpoint::init(*frame, urpc::Side::A);
    urpc::Endpoint client_end = urpc::Endpoint::init(*frame, urpc::Side::B);
    urpc::Endpoint* ptrs[1] = {&owner_end};
    RecordLine record[kMaxRecordLines] = {};
    UpdateOwner owner(ptrs, 1, record, 1, 10);
    SECTION("an update before Go") {
        REQUIRE(client_end.try_send(make_message(MsgKind::Update, 0, 1)).ok());
        CHECK(owner.poll().error() == Error::BadMessage);
    }
    SECTION("a skipped sequence number") {
        REQUIRE(client_end.try_send(make_message(MsgKind::Ready, 0)).ok());
        REQUIRE(owner.poll().ok());
        REQUIRE(client_end.try_recv().ok());  // Go
        REQUIRE(client_end.try_send(make_message(MsgKind::Update, 1, 1)).ok());
        CHECK(owner.poll().error() == Error::BadMessage);
    }
    SECTION("an answer kind sent to the owner") {
        REQUIRE(client_end.try_send(make_message(MsgKind::Applied, 0, 0)).ok());
        CHECK(owner.poll().error() == Error::BadMessage);
    }
    CHECK(owner.applied() == 0);
    CHECK(record_holds(record, 1, 0, 0));
}
