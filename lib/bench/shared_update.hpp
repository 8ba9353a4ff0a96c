// The shared-state experiment of the multikernel paper (Baumann et al.,
// "The Multikernel", SOSP 2009, section 2, Figure 3): n cores update one
// record of 1..8 cache lines, either
//
//   lock:    directly, under a spin lock that lives in shared memory next to
//            the record, so the record's lines and the lock's line travel
//            from core to core with every update; or
//   message: by sending each update as one URPC message to the core that
//            owns the record, which applies it to its private copy and
//            answers (the client waits for the answer, like an RPC).
//
// This is the hardware-free part: the record and its update, the lock, the
// start barrier, the message protocol, both clients' measuring loops, the
// owner's serving loop and the sample statistics. The CPU driver
// (cpudriver/bench_shared.cpp) supplies the memory, the cores and the clock;
// the host tests run the same code on threads (tests/shared_update_test.cpp).
//
// Every wait has a deadline in clock ticks: a lost peer makes a run fail
// with Error::Timeout, never hang.
#pragma once

#include <concepts>

#include "base/atomic.hpp"
#include "base/result.hpp"
#include "base/types.hpp"
#include "urpc/endpoint.hpp"

namespace mk::bench {

inline constexpr u32 kMaxRecordLines = 8;

// What the measuring loops need from their environment: a monotonic tick
// count (the TSC in the guest).
template <typename C>
concept TickClock = requires(C& c) {
    { c.now() } -> std::same_as<u64>;
};

// ---------------------------------------------------------------- the record

struct alignas(kCacheLine) RecordLine {
    u64 w[8];
};
static_assert(sizeof(RecordLine) == kCacheLine);

// The value update number `i` of core `core` adds: distinct per core and
// update, so that a lost or doubled update shows in the sums.
constexpr u64 update_value(u32 core, u64 i) { return (u64{core} << 32) + i + 1; }

// The sum of update_value(core, i) over i in [0, updates).
constexpr u64 update_value_sum(u32 core, u64 updates) {
    return updates * (u64{core} << 32) + updates * (updates + 1) / 2;
}

// One update: every word of every line is read and written, so each line
// must be held exclusively by the updating core (the cost the paper
// measures grows with the number of lines). Word 0 of each line counts the
// updates, word k adds k * value.
inline void apply_update(RecordLine* record, u32 lines, u64 value) {
    for (u32 l = 0; l < lines; ++l) {
        record[l].w[0] += 1;
        for (u32 k = 1; k < 8; ++k) record[l].w[k] += value * k;
    }
}

// True when the record holds exactly `updates` updates whose values sum to
// `value_sum` (mod 2^64) in its first `lines` lines, and the other lines of
// the kMaxRecordLines are untouched.
bool record_holds(const RecordLine* record, u32 lines, u64 updates, u64 value_sum);

// ---------------------------------------------------------------- the lock method

// Test-and-test-and-set: a waiter spins on its cached copy and tries the
// exchange only when the lock looks free, so waiting cores do not keep
// taking the line away from the holder. Alone on its cache line.
struct alignas(kCacheLine) SpinLock {
    u64 held;

    template <TickClock C>
    bool acquire(C& clock, u64 deadline) {
        for (u32 spins = 0;;) {
            if (load_relaxed(&held) == 0 && exchange_acquire(&held, u64{1}) == 0) return true;
            cpu_relax();
            if ((++spins & 63) == 0 && clock.now() > deadline) return false;
        }
    }
    void release() { store_release(&held, u64{0}); }
};

// The lock method's shared memory, one page: the start barrier, the lock
// and the record, each on lines of its own. Zeroed by the run's coordinator
// before every run.
struct alignas(kPageSize) SharedRegion {
    alignas(kCacheLine) u64 arrived;  // start barrier: cores that have arrived
    SpinLock lock;
    RecordLine record[kMaxRecordLines];
};
static_assert(sizeof(SharedRegion) == kPageSize);

// ---------------------------------------------------------------- statistics

// Sorts v[0..n) ascending in place (heapsort: O(n log n), no allocation).
void sort_u64(u64* v, usize n);

struct Summary {
    u64 median;
    u64 p99;
};

// Sorts the samples and returns their median and 99th percentile (n > 0).
Summary summarize(u64* samples, usize n);

// What one core's run is asked to do.
struct UpdatePlan {
    u32 lines;         // 1..kMaxRecordLines
    u32 warmup;        // untimed updates before the samples
    u32 samples;       // timed updates, one sample each
    u32 participants;  // lock: cores in the start barrier; message: the owner's clients
    u64 timeout;       // ticks the whole run may take

    u64 updates() const { return u64{warmup} + samples; }
    bool valid() const { return lines >= 1 && lines <= kMaxRecordLines && samples >= 1 && participants >= 1; }
};

// Everyone arrives, then everyone waits until all have: the runs start
// together, so the timed updates overlap.
template <TickClock C>
Status arrive_and_wait(u64* arrived, u64 participants, C& clock, u64 deadline) {
    __atomic_add_fetch(arrived, 1, __ATOMIC_ACQ_REL);
    for (u32 spins = 0; load_acquire(arrived) < participants;) {
        cpu_relax();
        if ((++spins & 63) == 0 && clock.now() > deadline) return Error::Timeout;
    }
    return {};
}

// One core's part of the lock method: plan.updates() updates of the shared
// record, each timed from before taking the lock to after releasing it;
// the last plan.samples times go to samples[].
template <TickClock C>
Result<Summary> run_lock_updates(SharedRegion& region, const UpdatePlan& plan, u32 self, u64* samples, C& clock) {
    if (!plan.valid()) return Error::InvalidArgument;
    const u64 deadline = clock.now() + plan.timeout;
    TRY_STATUS(arrive_and_wait(&region.arrived, plan.participants, clock, deadline));
    for (u64 i = 0; i < plan.updates(); ++i) {
        const u64 t0 = clock.now();
        if (!region.lock.acquire(clock, deadline)) return Error::Timeout;
        apply_update(region.record, plan.lines, update_value(self, i));
        region.lock.release();
        const u64 t1 = clock.now();
        if (i >= plan.warmup) samples[i - plan.warmup] = t1 - t0;
    }
    return summarize(samples, plan.samples);
}

// ---------------------------------------------------------------- the message method

// The first payload word: a tag that makes a stray message from another
// protocol fail loudly, and the kind.
enum class MsgKind : u64 { Ready = 1, Go, Update, Applied };
inline constexpr u64 kMsgTag = 0x5348'4152'4544'0000ull;  // "SHARED"

urpc::Payload make_message(MsgKind kind, u64 a = 0, u64 b = 0);
// The kind of a received message, or Error::BadMessage.
Result<MsgKind> message_kind(const urpc::Payload& m);

// The owner: holds the record in its own memory and serves its clients'
// channels. Non-blocking (poll()), so that the owner can also be its own
// client through a loopback channel on one core.
class UpdateOwner {
public:
    static constexpr u32 kMaxClients = 64;

    // clients[i] is the owner's end of client i's channel.
    UpdateOwner(urpc::Endpoint* const* clients, u32 count, RecordLine* record, u32 lines, u64 updates_per_client);

    // Handles what has arrived: the Ready messages of the start barrier
    // (once all clients are ready, each gets Go), then updates, each
    // applied and answered with Applied(seq, updates applied so far).
    // Error::BadMessage on anything unexpected.
    Status poll();
    bool done() const { return applied_ == expected_; }
    u64 applied() const { return applied_; }

private:
    Status handle(u32 client, const urpc::Payload& m);
    Status reply(u32 client, const urpc::Payload& m);

    urpc::Endpoint* clients_[kMaxClients];
    u32 count_;
    RecordLine* record_;
    u32 lines_;
    u64 expected_;
    u64 applied_ = 0;
    u32 ready_ = 0;
    bool go_sent_ = false;
    bool is_ready_[kMaxClients] = {};
    u64 next_seq_[kMaxClients] = {};
};

// A wait that does nothing else: for clients whose owner runs on another core.
struct NoIdle {
    void operator()() {}
};

// Serves `owner` until it is done or the deadline passes.
template <TickClock C>
Status run_owner(UpdateOwner& owner, C& clock, u64 timeout) {
    const u64 deadline = clock.now() + timeout;
    while (!owner.done()) {
        TRY_STATUS(owner.poll());
        if (clock.now() > deadline) return Error::Timeout;
    }
    return {};
}

namespace detail {
template <TickClock C, typename Idle>
Result<urpc::Payload> wait_message(urpc::Endpoint& ep, C& clock, u64 deadline, Idle& idle) {
    for (u32 spins = 0;;) {
        auto m = ep.try_recv();
        if (m.ok() || m.error() != Error::Empty) return m;
        idle();
        cpu_relax();
        if ((++spins & 63) == 0 && clock.now() > deadline) return Error::Timeout;
    }
}
template <TickClock C, typename Idle>
Status send_message(urpc::Endpoint& ep, const urpc::Payload& m, C& clock, u64 deadline, Idle& idle) {
    for (;;) {
        Status s = ep.try_send(m);
        if (s.ok() || s.error() != Error::Full) return s;
        idle();
        cpu_relax();
        if (clock.now() > deadline) return Error::Timeout;
    }
}
}  // namespace detail

// One client's part of the message method: Ready, wait for Go, then
// plan.updates() updates, each sent as one message and timed from before the
// send to the arrival of its Applied answer. idle() runs while waiting (a
// loopback client serves its own owner there).
template <TickClock C, typename Idle = NoIdle>
Result<Summary> run_message_updates(urpc::Endpoint& ep, const UpdatePlan& plan, u32 self, u64* samples, C& clock,
                                    Idle idle = Idle{}) {
    if (!plan.valid()) return Error::InvalidArgument;
    const u64 deadline = clock.now() + plan.timeout;
    TRY_STATUS(detail::send_message(ep, make_message(MsgKind::Ready, self), clock, deadline, idle));
    const urpc::Payload go = TRY(detail::wait_message(ep, clock, deadline, idle));
    if (TRY(message_kind(go)) != MsgKind::Go) return Error::BadMessage;
    for (u64 i = 0; i < plan.updates(); ++i) {
        const u64 t0 = clock.now();
        TRY_STATUS(detail::send_message(ep, make_message(MsgKind::Update, i, update_value(self, i)), clock, deadline,
                                        idle));
        const urpc::Payload r = TRY(detail::wait_message(ep, clock, deadline, idle));
        const u64 t1 = clock.now();
        if (TRY(message_kind(r)) != MsgKind::Applied || r.w[1] != i) return Error::BadMessage;
        if (i >= plan.warmup) samples[i - plan.warmup] = t1 - t0;
    }
    return summarize(samples, plan.samples);
}

}  // namespace mk::bench
