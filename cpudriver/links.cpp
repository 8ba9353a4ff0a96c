// Peer channels: raw URPC messages between two cores' CPU drivers for the
// all-pairs exchange and the latency and throughput measurements. The first
// payload word says what a message is; the rest is data with a checksum the
// receiver verifies.
#include "links.hpp"
#include "base/sort.hpp"

#include "console.hpp"
#include "lapic.hpp"
#include "traps.hpp"
#include "tsc.hpp"
#include "x86.hpp"

namespace mk {
namespace {

enum Kind : u64 { kEchoRequest = 1, kEchoReply, kData, kStream, kStreamEnd, kStreamAck };

u64 mix(u64 x) {  // splitmix64: the data words of an exchange message
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

urpc::Payload make(Kind kind, u64 a = 0, u64 b = 0) {
    urpc::Payload p{};
    p.w[0] = kind;
    p.w[1] = a;
    p.w[2] = b;
    return p;
}

constexpr u64 kSpinLimit = u64{1} << 36;  // cycles: every wait gives up eventually

}  // namespace

void wake_if_sleeping(urpc::Endpoint& ep, u32 peer_apic) {
    if (ep.peer_needs_wakeup()) lapic::send_fixed(peer_apic, kVectorWake);
}

Status PeerSet::attach(u32 peer, u32 peer_apic, urpc::Frame* frame, bool side_a) {
    if (count_ == kMax || find(peer) != nullptr) return Error::Full;
    Peer& p = peers_[count_++];
    p = Peer{peer, peer_apic, urpc::Endpoint::init(*frame, side_a ? urpc::Side::A : urpc::Side::B), 0, 0, 0, 0, 0, 0};
    return {};
}

PeerSet::Peer* PeerSet::find(u32 core) {
    for (usize i = 0; i < count_; ++i) {
        if (peers_[i].core == core) return &peers_[i];
    }
    return nullptr;
}

Status PeerSet::send(Peer& p, const urpc::Payload& m) {
    Status s = p.ep.try_send(m);
    if (s.ok()) wake_if_sleeping(p.ep, p.apic);
    return s;
}

void PeerSet::handle(Peer& p, const urpc::Payload& m) {
    switch (m.w[0]) {
        case kEchoRequest: {
            u64 start = x86::rdtsc();
            while (!send(p, make(kEchoReply, m.w[1])).ok() && x86::rdtsc() - start < kSpinLimit) serve();
            break;
        }
        case kEchoReply:
            echo_seen_ = 1;
            echo_value_ = m.w[1];
            break;
        case kData: {
            // w[1] = sequence, w[2..6] = mix(sender, sequence, k): check every word.
            bool ok = true;
            u64 sum = 0;
            for (int k = 2; k < 7; ++k) {
                ok = ok && m.w[k] == mix((u64{p.core} << 40) ^ (m.w[1] << 3) ^ static_cast<u64>(k));
                sum += m.w[k];
            }
            if (!ok) console::log("exchange: corrupt message %lu from core %u", m.w[1], p.core);
            ++p.exchange_received;
            p.exchange_sum += sum;
            break;
        }
        case kStream: ++p.stream_received; break;
        case kStreamEnd: {
            u64 start = x86::rdtsc();
            while (!send(p, make(kStreamAck, p.stream_received)).ok() && x86::rdtsc() - start < kSpinLimit) serve();
            p.stream_received = 0;
            break;
        }
        case kStreamAck: stream_acked_ = true; break;
        default: console::log("peer channel: unknown message kind %lu from core %u", m.w[0], p.core); break;
    }
}

void PeerSet::serve() {
    for (usize i = 0; i < count_; ++i) {
        for (int budget = 0; budget < 64; ++budget) {
            auto m = peers_[i].ep.try_recv();
            if (!m.ok()) break;
            handle(peers_[i], *m);
        }
    }
}

bool PeerSet::has_message() const {
    for (usize i = 0; i < count_; ++i) {
        if (peers_[i].ep.has_message()) return true;
    }
    return false;
}

void PeerSet::set_waiting(bool waiting) {
    for (usize i = 0; i < count_; ++i) peers_[i].ep.set_waiting(waiting);
}

bootidl::CoreControl::ExchangeResults PeerSet::exchange(u32 self, u32 messages) {
    bootidl::CoreControl::ExchangeResults r{};
    u64 sent_to[kMax] = {};
    for (usize i = 0; i < count_; ++i) peers_[i].exchange_target += messages;
    u64 start = x86::rdtsc();
    for (;;) {
        bool done = true;
        for (usize i = 0; i < count_; ++i) {
            Peer& p = peers_[i];
            if (sent_to[i] < messages) {
                urpc::Payload m{};
                m.w[0] = kData;
                m.w[1] = sent_to[i];
                u64 sum = 0;
                for (int k = 2; k < 7; ++k) {
                    m.w[k] = mix((u64{self} << 40) ^ (sent_to[i] << 3) ^ static_cast<u64>(k));
                    sum += m.w[k];
                }
                if (send(p, m).ok()) {
                    ++sent_to[i];
                    ++r.sent;
                    r.sent_sum += sum;
                }
            }
            done = done && sent_to[i] == messages && p.exchange_received >= p.exchange_target;
        }
        serve();
        if (done || x86::rdtsc() - start > kSpinLimit) break;
    }
    for (usize i = 0; i < count_; ++i) {
        Peer& p = peers_[i];
        r.received += p.exchange_received - p.reported_received;
        r.received_sum += p.exchange_sum - p.reported_sum;
        p.reported_received = p.exchange_received;
        p.reported_sum = p.exchange_sum;
    }
    return r;
}

Result<bootidl::CoreControl::MeasureLatencyResults> PeerSet::measure_latency(u32 peer, u32 samples) {
    Peer* p = find(peer);
    if (p == nullptr) return Error::NotFound;
    if (samples == 0 || samples > 4096) return Error::InvalidArgument;
    u64* cycles = cycles_;
    constexpr u32 kWarmup = 100;
    for (u32 i = 0; i < kWarmup + samples; ++i) {
        echo_seen_ = 0;
        u64 t0 = x86::rdtsc();
        while (!send(*p, make(kEchoRequest, i)).ok()) {
            serve();
            if (x86::rdtsc() - t0 > kSpinLimit) return Error::Timeout;
        }
        while (echo_seen_ == 0 || echo_value_ != i) {
            serve();
            if (x86::rdtsc() - t0 > kSpinLimit) return Error::Timeout;
        }
        u64 t1 = x86::rdtsc();
        if (i >= kWarmup) cycles[i - kWarmup] = t1 - t0;
    }
    sort_in_place(cycles, samples);
    return bootidl::CoreControl::MeasureLatencyResults{cycles[samples / 2], cycles[samples * 99 / 100]};
}

Result<u64> PeerSet::measure_throughput(u32 peer, u32 messages) {
    Peer* p = find(peer);
    if (p == nullptr) return Error::NotFound;
    stream_acked_ = false;
    u64 t0 = x86::rdtsc();
    for (u32 i = 0; i < messages; ++i) {
        while (!send(*p, make(kStream, i)).ok()) {
            serve();
            if (x86::rdtsc() - t0 > kSpinLimit) return Error::Timeout;
        }
    }
    while (!send(*p, make(kStreamEnd)).ok()) {
        serve();
        if (x86::rdtsc() - t0 > kSpinLimit) return Error::Timeout;
    }
    while (!stream_acked_) {
        serve();
        if (x86::rdtsc() - t0 > kSpinLimit) return Error::Timeout;
    }
    return x86::rdtsc() - t0;
}

}  // namespace mk
