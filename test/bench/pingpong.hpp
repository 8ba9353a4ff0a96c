// One-way latency by ping-pong: the client (pinned to src) sends one
// message, the server (pinned to dst) echoes it, and half of the round trip
// is one sample. Each mechanism is a small class with ping(i) for the client
// and pong(i) for the server; measure_pingpong() runs any of them, and
// measure_interleaved3() (stub.hpp) runs three of them sample by sample.
#pragma once

#include <linux/futex.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "base/atomic.hpp"
#include "harness.hpp"
#include "urpc/endpoint.hpp"
#include "urpc/wait.hpp"

namespace bench {

using mk::urpc::Payload;

struct Ctx {
    double tsc_hz = 0;
    int src = 0;
    int dst = 1;
    double timeout_s = 10;  // how long any single wait may take before we call the peer gone
    bool pin = true;        // false when pinning failed once: do not retry (and warn) per thread
};

inline void pin_peer(const Ctx& c) {
    if (c.pin) pin_to_cpu(c.dst);
}

inline Payload payload_for(u64 i) {
    Payload p;
    for (u64 k = 0; k < mk::urpc::kPayloadWords; ++k) p.w[k] = i + k;
    return p;
}

inline void expect_echo(const Payload& p, u64 i, const char* who) {
    if (p.w[0] != i || p.w[6] != i + 6) die("wrong message echoed by ", who);
}

// A wait policy for the channel's blocking calls: PAUSE, within a budget.
class BudgetWait {
public:
    BudgetWait(const Ctx& c, const char* what) : budget_(c.tsc_hz, c.timeout_s, what) {}
    void begin() { budget_.reset(); }
    bool wait(mk::urpc::Endpoint&, mk::urpc::WaitFor) {
        mk::cpu_relax();
        budget_.poll();
        return true;
    }

private:
    SpinBudget budget_;
};

// What one side of a channel keeps to itself: its endpoint and its wait
// budget, on cache lines of their own so that the two threads never share
// a line except through the frame (false sharing would be measured too).
struct alignas(128) UrpcSide {
    UrpcSide(mk::urpc::Frame& f, mk::urpc::Side side, const Ctx& c, const char* what)
        : ep(mk::urpc::Endpoint::init(f, side)), wait(c, what) {}
    mk::urpc::Endpoint ep;
    BudgetWait wait;
};

inline std::unique_ptr<mk::urpc::Frame> new_frame() {
    auto f = std::make_unique<mk::urpc::Frame>();
    f->reset();
    return f;
}

// Our channel: one Frame, side A on the client, side B on the server.
class UrpcPingPong {
public:
    explicit UrpcPingPong(const Ctx& c)
        : a_(*frame_, mk::urpc::Side::A, c, "urpc ping"), b_(*frame_, mk::urpc::Side::B, c, "urpc pong") {}
    void ping(u64 i) {
        if (!a_.ep.send_blocking(payload_for(i), a_.wait).ok()) die("urpc send failed");
        auto r = a_.ep.recv_blocking(a_.wait);
        if (!r.ok()) die("urpc receive failed");
        expect_echo(*r, i, "urpc");
    }
    void pong(u64) {
        auto r = b_.ep.recv_blocking(b_.wait);
        if (!r.ok()) die("urpc server receive failed");
        if (!b_.ep.send_blocking(*r, b_.wait).ok()) die("urpc server send failed");
    }

private:
    std::unique_ptr<mk::urpc::Frame> frame_ = new_frame();
    UrpcSide a_, b_;
};

// The physical limit for a one-line message: the same 64-byte lines as a
// channel, each side writes 7 words and a flag, the other spins on the flag.
// No validation, no flow control, no sequence beyond the flag itself.
class RawPingPong {
public:
    explicit RawPingPong(const Ctx& c)
        : spin_a_(c.tsc_hz, c.timeout_s, "raw ping"), spin_b_(c.tsc_hz, c.timeout_s, "raw pong") {}
    void ping(u64 i) {
        send(frame_->ring[0].slot[0], payload_for(i), i + 1);
        expect_echo(receive(frame_->ring[1].slot[0], i + 1, spin_a_), i, "raw");
    }
    void pong(u64 i) {
        const Payload p = receive(frame_->ring[0].slot[0], i + 1, spin_b_);
        send(frame_->ring[1].slot[0], p, i + 1);
    }

private:
    static void send(mk::urpc::Line& l, const Payload& p, u64 flag) {
        for (u64 k = 0; k < mk::urpc::kPayloadWords; ++k) l.payload[k] = p.w[k];
        mk::store_release(&l.control, flag);
    }
    static Payload receive(const mk::urpc::Line& l, u64 flag, SpinBudget& spin) {
        spin.reset();
        while (mk::load_acquire(&l.control) != flag) {
            mk::cpu_relax();
            spin.poll();
        }
        Payload p;
        for (u64 k = 0; k < mk::urpc::kPayloadWords; ++k) p.w[k] = l.payload[k];
        return p;
    }
    std::unique_ptr<mk::urpc::Frame> frame_ = new_frame();
    alignas(128) SpinBudget spin_a_;  // one line per side, as for UrpcSide
    alignas(128) SpinBudget spin_b_;
};

// Two pipes carrying the same 56-byte payload. Blocking reads: the reader
// sleeps in the kernel and is woken by the writer.
class PipePingPong {
public:
    explicit PipePingPong(const Ctx&) {
        if (pipe(ab_) != 0 || pipe(ba_) != 0) die("pipe() failed");
    }
    ~PipePingPong() {
        for (int fd : {ab_[0], ab_[1], ba_[0], ba_[1]}) close(fd);
    }
    void ping(u64 i) {
        put(ab_[1], payload_for(i));
        expect_echo(get(ba_[0]), i, "pipe");
    }
    void pong(u64) { put(ba_[1], get(ab_[0])); }

private:
    static void put(int fd, const Payload& p) {
        if (write(fd, &p, sizeof(p)) != static_cast<ssize_t>(sizeof(p))) die("pipe write failed");
    }
    static Payload get(int fd) {
        Payload p;
        char* at = reinterpret_cast<char*>(&p);
        std::size_t got = 0;
        while (got < sizeof(p)) {
            const ssize_t r = read(fd, at + got, sizeof(p) - got);
            if (r <= 0) die("pipe read failed: the peer is gone");
            got += static_cast<std::size_t>(r);
        }
        return p;
    }
    int ab_[2];
    int ba_[2];
};

// Two eventfds: a counter, no payload; the reader blocks in read().
class EventfdPingPong {
public:
    explicit EventfdPingPong(const Ctx&) : ab_(eventfd(0, 0)), ba_(eventfd(0, 0)) {
        if (ab_ < 0 || ba_ < 0) die("eventfd() failed");
    }
    ~EventfdPingPong() {
        close(ab_);
        close(ba_);
    }
    void ping(u64) {
        notify(ab_);
        wait(ba_);
    }
    void pong(u64) {
        wait(ab_);
        notify(ba_);
    }

private:
    static void notify(int fd) {
        const u64 one = 1;
        if (write(fd, &one, sizeof(one)) != sizeof(one)) die("eventfd write failed");
    }
    static void wait(int fd) {
        u64 v;
        if (read(fd, &v, sizeof(v)) != sizeof(v)) die("eventfd read failed");
    }
    int ab_;
    int ba_;
};

// A futex word per direction, on separate cache lines: store the round
// number, FUTEX_WAKE; the other side FUTEX_WAITs while the word is not yet
// its round. No spinning first: this is the kernel's sleep/wake path.
class FutexPingPong {
public:
    explicit FutexPingPong(const Ctx&) {}
    void ping(u64 i) {
        post(&words_->ab, static_cast<std::uint32_t>(i + 1));
        await(&words_->ba, static_cast<std::uint32_t>(i + 1));
    }
    void pong(u64 i) {
        await(&words_->ab, static_cast<std::uint32_t>(i + 1));
        post(&words_->ba, static_cast<std::uint32_t>(i + 1));
    }

private:
    struct Words {
        alignas(128) std::uint32_t ab = 0;
        alignas(128) std::uint32_t ba = 0;
    };
    static long futex(std::uint32_t* w, int op, std::uint32_t val, const timespec* t) {
        return syscall(SYS_futex, w, op, val, t, nullptr, 0);
    }
    static void post(std::uint32_t* w, std::uint32_t v) {
        mk::store_release(w, v);
        futex(w, FUTEX_WAKE_PRIVATE, 1, nullptr);
    }
    static void await(std::uint32_t* w, std::uint32_t want) {
        const timespec one_second{1, 0};
        int timeouts = 0;
        std::uint32_t seen;
        while ((seen = mk::load_acquire(w)) != want) {
            if (futex(w, FUTEX_WAIT_PRIVATE, seen, &one_second) != 0 && errno == ETIMEDOUT &&
                ++timeouts > 10) {
                die("futex peer silent for 10 s: is it gone?");
            }
        }
    }
    std::unique_ptr<Words> words_ = std::make_unique<Words>();
};

// A mutex + condition variable queue per direction, holding payloads: the
// textbook shared-memory message queue.
class CondvarQueue {
public:
    void push(const Payload& p) {
        {
            std::unique_lock<std::mutex> lock(m_);
            int timeouts = 0;
            while (count_ == kCap) {
                if (not_full_.wait_for(lock, std::chrono::seconds(1)) == std::cv_status::timeout &&
                    ++timeouts > 10)
                    die("condvar consumer silent for 10 s: is it gone?");
            }
            buf_[(head_ + count_) % kCap] = p;
            ++count_;
        }
        not_empty_.notify_one();
    }
    Payload pop() {
        Payload p;
        {
            std::unique_lock<std::mutex> lock(m_);
            int timeouts = 0;
            while (count_ == 0) {
                if (not_empty_.wait_for(lock, std::chrono::seconds(1)) == std::cv_status::timeout &&
                    ++timeouts > 10)
                    die("condvar producer silent for 10 s: is it gone?");
            }
            p = buf_[head_];
            head_ = (head_ + 1) % kCap;
            --count_;
        }
        not_full_.notify_one();
        return p;
    }

private:
    static constexpr u64 kCap = mk::urpc::kSlots;  // the same depth as a channel ring
    std::mutex m_;
    std::condition_variable not_empty_, not_full_;
    Payload buf_[kCap];
    u64 head_ = 0;
    u64 count_ = 0;
};

class CondvarPingPong {
public:
    explicit CondvarPingPong(const Ctx&) {}
    void ping(u64 i) {
        ab_->push(payload_for(i));
        expect_echo(ba_->pop(), i, "condvar");
    }
    void pong(u64) { ba_->push(ab_->pop()); }

private:
    std::unique_ptr<CondvarQueue> ab_ = std::make_unique<CondvarQueue>();
    std::unique_ptr<CondvarQueue> ba_ = std::make_unique<CondvarQueue>();
};

// Runs `warmup` untimed then `samples` timed round trips of mechanism M.
// Returns one-way latencies in TSC ticks (half of each round trip).
template <typename M>
std::vector<double> measure_pingpong(const Ctx& c, u64 warmup, u64 samples) {
    M m(c);
    std::thread server([&] {
        pin_peer(c);
        for (u64 i = 0; i < warmup + samples; ++i) m.pong(i);
    });
    for (u64 i = 0; i < warmup; ++i) m.ping(i);
    std::vector<double> v;
    v.reserve(samples);
    for (u64 i = warmup; i < warmup + samples; ++i) {
        const u64 t0 = tsc();
        m.ping(i);
        const u64 t1 = tsc();
        v.push_back(static_cast<double>(t1 - t0) / 2);
    }
    server.join();
    return v;
}

}  // namespace bench
