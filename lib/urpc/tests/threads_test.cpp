// Two real threads on a shared frame: millions of messages both ways with
// per-message sequence numbers and checksums, and the sleep/wake handshake
// with a simulated "halt until IPI" that would notice a lost wakeup.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "urpc/tests/helpers.hpp"
#include "urpc/wait.hpp"

using namespace mk;
using namespace mk::urpc;
using namespace mk::urpc::test;
using Clock = std::chrono::steady_clock;

namespace {

// Each thread has its own; aligned so the two never share a cache line.
struct alignas(128) Report {
    u64 sent = 0;
    u64 received = 0;
    u64 sent_sum = 0;
    u64 received_sum = 0;
    u64 mismatches = 0;
    u64 errors = 0;
    bool timed_out = false;
};

u64 checksum(const Payload& p) {
    u64 s = 0;
    for (u64 w : p.w) s = mix(s ^ w);
    return s;
}

// Sends n messages and receives n, interleaved, without ever blocking, so
// two of these on one channel cannot deadlock. On a loaded machine the peer
// thread may be descheduled: after a run of fruitless polls, yield the CPU.
void exchange(Endpoint& ep, u64 n, Report& out, Clock::time_point deadline) {
    u64 polls = 0;
    u64 idle = 0;
    while (out.sent < n || out.received < n) {
        bool progress = false;
        if (out.sent < n) {
            const Payload msg = payload_for(out.sent);
            Status s = ep.try_send(msg);
            if (s.ok()) {
                out.sent_sum += checksum(msg);
                ++out.sent;
                progress = true;
            } else if (s.error() != Error::Full) {
                ++out.errors;
                return;
            }
        }
        auto r = ep.try_recv();
        if (r.ok()) {
            if (!payload_matches(*r, out.received)) ++out.mismatches;
            out.received_sum += checksum(*r);
            ++out.received;
            progress = true;
        } else if (r.error() != Error::Empty) {
            ++out.errors;
            return;
        }
        idle = progress ? 0 : idle + 1;
        if (idle > 64) {
            std::this_thread::yield();
            idle = 0;
        }
        if ((++polls & 0xffff) == 0 && Clock::now() > deadline) {
            out.timed_out = true;
            return;
        }
    }
}

}  // namespace

TEST_CASE("two threads exchange two million messages each way", "[urpc]") {
    constexpr u64 kMessages = 2'000'000;
    Pair p;
    Report ra, rb;
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    const auto start = Clock::now();
    std::thread tb([&] { exchange(p.b, kMessages, rb, deadline); });
    exchange(p.a, kMessages, ra, deadline);
    tb.join();
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    INFO("took " << secs << " s");

    for (const Report* r : {&ra, &rb}) {
        CHECK_FALSE(r->timed_out);
        CHECK(r->errors == 0);
        CHECK(r->mismatches == 0);
        CHECK(r->sent == kMessages);
        CHECK(r->received == kMessages);
    }
    CHECK(ra.sent_sum == rb.received_sum);
    CHECK(rb.sent_sum == ra.received_sum);
}

namespace {

// A stand-in for "halt until IPI": waits for the doorbell to change. An
// interrupt that arrives before the halt stays pending, as with STI;HLT, so
// the doorbell is compared with the last value this side consumed. A halt
// that runs out its time was a lost wakeup: the peer had published but did
// not ring.
class DoorbellSleeper {
public:
    DoorbellSleeper(std::atomic<u64>& mine, std::atomic<u64>& peers) : mine_(mine), peers_(peers) {}
    bool halt() {
        ++halts;
        const auto give_up = Clock::now() + std::chrono::seconds(2);
        u64 now;
        while ((now = mine_.load(std::memory_order_acquire)) == seen_) {
            if (Clock::now() > give_up) {
                ++lost_wakeups;
                return true;
            }
            std::this_thread::yield();
        }
        seen_ = now;
        return true;
    }
    void wake_peer() {
        ++wakes;
        peers_.fetch_add(1, std::memory_order_release);
    }
    u64 halts = 0;
    u64 wakes = 0;
    u64 lost_wakeups = 0;

private:
    std::atomic<u64>& mine_;
    std::atomic<u64>& peers_;
    u64 seen_ = 0;
};

struct alignas(128) Tally {
    u64 errors = 0;
    u64 mismatches = 0;
};

// Streams n messages, then waits for one reply per message in a ping-pong.
template <typename Policy>
void streamer(Endpoint& ep, Policy& wait, DoorbellSleeper& sl, u64 n, Tally& out) {
    for (u64 i = 0; i < n; ++i) {
        if (!ep.send_blocking(payload_for(i), wait).ok()) ++out.errors;
        if (ep.peer_needs_wakeup()) sl.wake_peer();
    }
    for (u64 i = 0; i < n / 8; ++i) {
        // Pause now and then so that the echoer finds nothing and sleeps.
        if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
        if (!ep.send_blocking(payload_for(i), wait).ok()) ++out.errors;
        if (ep.peer_needs_wakeup()) sl.wake_peer();
        auto r = ep.recv_blocking(wait);
        if (ep.peer_needs_wakeup()) sl.wake_peer();
        if (!r.ok()) ++out.errors;
        else if (!payload_matches(*r, i)) ++out.mismatches;
    }
}

template <typename Policy>
void echoer(Endpoint& ep, Policy& wait, DoorbellSleeper& sl, u64 n, Tally& out) {
    for (u64 i = 0; i < n; ++i) {
        auto r = ep.recv_blocking(wait);
        if (ep.peer_needs_wakeup()) sl.wake_peer();
        if (!r.ok()) ++out.errors;
        else if (!payload_matches(*r, i)) ++out.mismatches;
        // Fall behind now and then so that the streamer fills the ring and sleeps.
        if (i % 200 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    for (u64 i = 0; i < n / 8; ++i) {
        auto r = ep.recv_blocking(wait);
        if (ep.peer_needs_wakeup()) sl.wake_peer();
        if (!r.ok()) {
            ++out.errors;
            continue;
        }
        if (!ep.send_blocking(*r, wait).ok()) ++out.errors;
        if (ep.peer_needs_wakeup()) sl.wake_peer();
    }
}

}  // namespace

TEST_CASE("sleeping sides are always woken: no lost wakeups", "[urpc]") {
    constexpr u64 kMessages = 20'000;
    Pair p;
    std::atomic<u64> bell_a{0}, bell_b{0};
    DoorbellSleeper sleep_a(bell_a, bell_b), sleep_b(bell_b, bell_a);
    SpinThenHalt wait_a(16, sleep_a), wait_b(16, sleep_b);
    Tally sa, sb;
    std::thread tb([&] { echoer(p.b, wait_b, sleep_b, kMessages, sb); });
    streamer(p.a, wait_a, sleep_a, kMessages, sa);
    tb.join();

    CHECK(sa.errors == 0);
    CHECK(sb.errors == 0);
    CHECK(sa.mismatches == 0);
    CHECK(sb.mismatches == 0);
    CHECK(sleep_a.lost_wakeups == 0);
    CHECK(sleep_b.lost_wakeups == 0);
    // The test is only meaningful if both sides really slept and were woken.
    CHECK(sleep_a.halts > 0);
    CHECK(sleep_b.halts > 0);
    CHECK(sleep_a.wakes > 0);
    CHECK(sleep_b.wakes > 0);
    CHECK(p.b.received() == kMessages + kMessages / 8);
}
