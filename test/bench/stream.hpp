// Pipelined throughput, one direction: the producer (pinned to src) sends
// as fast as flow control allows; the consumer (pinned to dst) stamps the
// TSC every `batch` messages, and each batch gives one messages-per-second
// sample. Each mechanism has send(i) and recv(i); measure_stream() runs it.
#pragma once

#include "pingpong.hpp"

namespace bench {

// Our channel streaming from side A to side B.
class UrpcStream {
public:
    explicit UrpcStream(const Ctx& c)
        : a_(*frame_, mk::urpc::Side::A, c, "urpc stream send"),
          b_(*frame_, mk::urpc::Side::B, c, "urpc stream receive") {}
    void send(u64 i) {
        if (!a_.ep.send_blocking(payload_for(i), a_.wait).ok()) die("urpc stream send failed");
    }
    void recv(u64 i) {
        auto r = b_.ep.recv_blocking(b_.wait);
        if (!r.ok()) die("urpc stream receive failed");
        expect_echo(*r, i, "urpc stream");
    }

private:
    std::unique_ptr<mk::urpc::Frame> frame_ = new_frame();
    UrpcSide a_, b_;
};

// The same ring without a protocol around it: 31 lines whose flag is the
// message number, and a consumer count the consumer stores every 16 lines
// and the producer reads only when it runs out of room. What a channel
// costs on top of this is its validation and bookkeeping.
class RawStream {
public:
    explicit RawStream(const Ctx& c)
        : spin_p_(c.tsc_hz, c.timeout_s, "raw stream send"),
          spin_c_(c.tsc_hz, c.timeout_s, "raw stream receive") {}
    void send(u64 i) {
        if (i - known_consumed_ >= kSlots) {
            spin_p_.reset();
            while (i - (known_consumed_ = mk::load_acquire(&consumed_line().control)) >= kSlots) {
                mk::cpu_relax();
                spin_p_.poll();
            }
        }
        mk::urpc::Line& l = ring().slot[i % kSlots];
        const Payload p = payload_for(i);
        for (u64 k = 0; k < mk::urpc::kPayloadWords; ++k) l.payload[k] = p.w[k];
        mk::store_release(&l.control, i + 1);
    }
    void recv(u64 i) {
        const mk::urpc::Line& l = ring().slot[i % kSlots];
        spin_c_.reset();
        while (mk::load_acquire(&l.control) != i + 1) {
            mk::cpu_relax();
            spin_c_.poll();
        }
        Payload p;
        for (u64 k = 0; k < mk::urpc::kPayloadWords; ++k) p.w[k] = l.payload[k];
        expect_echo(p, i, "raw stream");
        if ((i + 1) % 16 == 0) mk::store_release(&consumed_line().control, i + 1);
    }

private:
    static constexpr u64 kSlots = mk::urpc::kSlots;
    mk::urpc::Ring& ring() { return frame_->ring[0]; }
    mk::urpc::Line& consumed_line() { return frame_->ring[1].ack; }
    std::unique_ptr<mk::urpc::Frame> frame_ = new_frame();
    // Producer-private and consumer-private state, one line each.
    alignas(128) SpinBudget spin_p_;
    u64 known_consumed_ = 0;
    alignas(128) SpinBudget spin_c_;
};

// One write() of a 56-byte payload per message; the consumer reads whatever
// is there (up to 64 messages) and hands it out one message at a time.
class PipeStream {
public:
    explicit PipeStream(const Ctx&) {
        if (pipe(fds_) != 0) die("pipe() failed");
    }
    ~PipeStream() {
        close(fds_[0]);
        close(fds_[1]);
    }
    void send(u64 i) {
        const Payload p = payload_for(i);
        if (write(fds_[1], &p, sizeof(p)) != static_cast<ssize_t>(sizeof(p))) die("pipe write failed");
    }
    void recv(u64 i) {
        while (have_ - used_ < sizeof(Payload)) {
            if (used_ > 0) {
                std::memmove(buf_, buf_ + used_, have_ - used_);
                have_ -= used_;
                used_ = 0;
            }
            const ssize_t r = read(fds_[0], buf_ + have_, sizeof(buf_) - have_);
            if (r <= 0) die("pipe read failed: the peer is gone");
            have_ += static_cast<std::size_t>(r);
        }
        Payload p;
        std::memcpy(&p, buf_ + used_, sizeof(p));
        used_ += sizeof(p);
        expect_echo(p, i, "pipe stream");
    }

private:
    int fds_[2];
    char buf_[64 * sizeof(Payload)];
    std::size_t have_ = 0;
    std::size_t used_ = 0;
};

// The condition-variable queue of pingpong.hpp, streaming.
class CondvarStream {
public:
    explicit CondvarStream(const Ctx&) {}
    void send(u64 i) { q_->push(payload_for(i)); }
    void recv(u64 i) { expect_echo(q_->pop(), i, "condvar stream"); }

private:
    std::unique_ptr<CondvarQueue> q_ = std::make_unique<CondvarQueue>();
};

// Streams a warm-up, then `batches` timed batches of `batch` messages.
// The warm-up is long enough to also drain a pipe's 64 KiB buffer, which the
// producer fills before the consumer gets going. Returns messages per TSC
// tick for each timed batch.
template <typename S>
std::vector<double> measure_stream(const Ctx& c, u64 batch, u64 batches) {
    S s(c);
    const u64 warmup = std::max<u64>(batch, 4096);
    const u64 n = warmup + batch * batches;
    std::vector<u64> stamps;
    stamps.reserve(batches + 1);
    std::thread consumer([&] {
        pin_peer(c);
        for (u64 i = 0; i < n; ++i) {
            if (i >= warmup && (i - warmup) % batch == 0) stamps.push_back(tsc());
            s.recv(i);
        }
        stamps.push_back(tsc());
    });
    for (u64 i = 0; i < n; ++i) s.send(i);
    consumer.join();
    std::vector<double> rates;
    for (std::size_t k = 1; k < stamps.size(); ++k) {
        rates.push_back(static_cast<double>(batch) / static_cast<double>(stamps[k] - stamps[k - 1]));
    }
    return rates;
}

}  // namespace bench
