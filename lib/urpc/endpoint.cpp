// The URPC endpoint's slow paths: attaching, refreshing credit when the ring
// is full, the ack line, and the sleep/wake handshake. The per-message fast
// paths are inline in endpoint.hpp.
#include "urpc/endpoint.hpp"

namespace mk::urpc {
namespace {

// A StoreLoad barrier, needed only by the sleep/wake handshake (Dekker's
// pattern); the message fast path never uses it.
inline void full_fence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

}  // namespace

Endpoint Endpoint::init(Frame& frame, Side side) {
    Endpoint ep;
    const unsigned out = side == Side::A ? 0 : 1;
    ep.tx_ = &frame.ring[out];
    ep.rx_ = &frame.ring[1 - out];
    return ep;
}

bool Endpoint::can_send() {
    if (sent_ - acked_ < kSlots) return true;
    if (!refresh_credit().ok()) return true;  // let try_send report the error
    return sent_ - acked_ < kSlots;
}

// Learns how far the peer has consumed our ring. The newest report is either
// on its ack line or piggybacked on one of its lines we have not read yet
// (it cannot overwrite those until we consume them), so we look at both.
// Runs only when we are out of credit, off the fast path.
Status Endpoint::refresh_credit() {
    const u64 a = load_acquire(&rx_->ack.control);
    if (control::kind(a) == control::kAck) {
        TRY_STATUS(apply_ack(control::ack(a)));
    } else if (a != 0) {
        return Error::BadMessage;
    }
    u32 slot = rx_slot_;
    u8 lap = rx_lap_;
    for (u64 k = 0; k < kSlots; ++k) {
        const u64 c = load_acquire(&rx_->slot[slot].control);
        if (classify(c, lap, received_ + k < kSlots) != SlotState::Fresh) break;
        // A bogus ack here is reported when try_recv reaches the line.
        if (!apply_ack(control::ack(c)).ok()) break;
        advance(slot, lap);
    }
    return {};
}

void Endpoint::write_ack_line() {
    // Release: our reads of every consumed payload happen before the sender
    // can learn (with acquire) that it may overwrite those slots.
    store_release(&tx_->ack.control, control::ack_only(received_, waiting_));
    reported_ = received_;
}

void Endpoint::publish_ack() { write_ack_line(); }

void Endpoint::set_waiting(bool waiting) {
    waiting_ = waiting;
    write_ack_line();
    // Our flag must be visible before we re-check the ring (StoreLoad).
    if (waiting) full_fence();
}

bool Endpoint::peer_needs_wakeup() {
    // News: a message, or a consumed count we had not reported before.
    if (sent_ == checked_sent_ && reported_ == checked_reported_) return false;
    checked_sent_ = sent_;
    checked_reported_ = reported_;
    // What we just published must be visible before we read the peer's flag.
    full_fence();
    const u64 a = load_acquire(&rx_->ack.control);
    return control::kind(a) == control::kAck && (control::tag(a) & control::kWaiting) != 0;
}

}  // namespace mk::urpc
