// One side of a URPC channel. An Endpoint keeps its positions and its view
// of the peer in private memory; the shared Frame is only ever read through
// control-word comparisons, never used as an index, so a buggy peer can make
// calls fail but cannot make them read out of bounds or spin forever.
//
// Fast path: try_send writes 7 payload words and one control word into its
// own ring; try_recv reads one control word (acquire) and 7 payload words
// from the peer's ring. No locks, no read-modify-write instructions.
#pragma once

#include <concepts>

#include "base/atomic.hpp"
#include "base/result.hpp"
#include "base/types.hpp"
#include "urpc/control.hpp"
#include "urpc/frame.hpp"

namespace mk::urpc {

// Side A sends on ring 0 and receives on ring 1; side B the other way round.
enum class Side : u8 { A = 0, B = 1 };

// What a blocked caller is waiting for; a wait policy that sleeps uses it
// to re-check the right condition after announcing that it will sleep.
enum class WaitFor : u8 { Message, Credit };

class Endpoint;

// Decides what to do between two unsuccessful polls of a blocking call.
// begin() starts one blocking call; wait() returns false to give up, which
// makes the call return Error::Timeout. See wait.hpp for the two policies.
template <typename W>
concept WaitPolicy = requires(W& w, Endpoint& ep, WaitFor what) {
    w.begin();
    { w.wait(ep, what) } -> std::same_as<bool>;
};

// The receiver acks with an ack line once it has consumed this many lines
// that it has not yet reported (by piggyback or ack line): half a ring, so a
// streaming sender gets credit back before it runs dry.
inline constexpr u64 kAckEvery = kSlots / 2 + 1;

// Cache-line aligned: the state is private to one core, and sharing a line
// with anything another core writes (such as the peer's Endpoint in a test)
// would put a coherence miss on every message.
class alignas(kCacheLine) Endpoint {
public:
    Endpoint() = default;
    // Attaches to a frame that its creator has reset(). Touches no shared
    // memory, so either side may attach first.
    static Endpoint init(Frame& frame, Side side);

    // Publishes one message, or Error::Full when every slot may still be
    // unread by the peer, or Error::BadMessage when the peer's ack line is
    // corrupt. Never overwrites a slot the peer has not consumed.
    Status try_send(const Payload& msg);
    // The next message, or Error::Empty, or Error::BadMessage when the next
    // line is neither the expected message nor an older lap's line (the peer
    // wrote garbage). Errors do not consume anything.
    Result<Payload> try_recv();
    // True when try_recv() would return something other than Empty: a
    // message, or an error the caller should hear about.
    bool has_message() const;
    // True when try_send() would not return Full. Re-reads the peer's acks.
    bool can_send();

    template <WaitPolicy W>
    Status send_blocking(const Payload& msg, W& wait);
    template <WaitPolicy W>
    Result<Payload> recv_blocking(W& wait);

    // Slots this side may fill before it must hear from the peer again.
    u64 credit() const { return kSlots - (sent_ - acked_); }
    u64 sent() const { return sent_; }
    u64 received() const { return received_; }

    // Halting and being woken by an IPI (docs/urpc.md, "Blocking"). A side
    // about to halt calls set_waiting(true), then re-checks its condition.
    // A side that has just published something (a message, or an ack) calls
    // peer_needs_wakeup() and, if true, sends the IPI. The full fences on
    // both sides make sure at least one of them sees the other.
    void set_waiting(bool waiting);
    bool peer_needs_wakeup();
    // Publishes the consumed count on the ack line now (also done
    // automatically every kAckEvery unreported messages).
    void publish_ack();

private:
    enum class SlotState : u8 { Fresh, Empty, Bad };
    static SlotState classify(u64 c, u8 lap, bool first_lap);
    static void advance(u32& slot, u8& lap);
    Status refresh_credit();
    Status apply_ack(u64 field);
    void write_ack_line();

    Ring* tx_ = nullptr;        // our outbound ring, in the shared frame
    const Ring* rx_ = nullptr;  // the peer's outbound ring: read only
    // Sending: how many lines we published, how many we know are consumed,
    // and where the next one goes (kept alongside sent_ to avoid a division).
    u64 sent_ = 0;
    u64 acked_ = 0;
    u32 tx_slot_ = 0;
    u8 tx_lap_ = 1;
    // Receiving: how many lines we consumed, how many of those we reported.
    u64 received_ = 0;
    u64 reported_ = 0;
    u32 rx_slot_ = 0;
    u8 rx_lap_ = 1;
    bool waiting_ = false;
    // What peer_needs_wakeup() last saw: anything newer is news for the peer.
    u64 checked_sent_ = 0;
    u64 checked_reported_ = 0;
};

// The fast paths are inline so that a message costs no call; the slow
// paths (credit refresh, ack line, sleeping) live in endpoint.cpp. The
// protocol steps cited are those of docs/urpc.md.

// Classifies the control word of the slot the receiver expects next.
// A correct sender is at most one lap ahead of the reader, so the slot holds
// either this lap's message or the previous lap's (already consumed) one; on
// the very first lap, an unwritten zero. Anything else is corruption.
inline Endpoint::SlotState Endpoint::classify(u64 c, u8 lap, bool first_lap) {
    // The common case in one comparison: kind and lap are the top 16 bits.
    if ((c >> control::kAckBits) == ((u64{control::kData} << 8) | lap)) return SlotState::Fresh;
    if (control::kind(c) == control::kData) {
        if (!first_lap && control::tag(c) == static_cast<u8>(lap - 1)) return SlotState::Empty;
        return SlotState::Bad;
    }
    return (c == 0 && first_lap) ? SlotState::Empty : SlotState::Bad;
}

inline void Endpoint::advance(u32& slot, u8& lap) {
    if (++slot == kSlots) {
        slot = 0;
        ++lap;
    }
}

inline Status Endpoint::apply_ack(u64 field) {
    const control::AckResult r = control::interpret_ack(field, sent_, acked_);
    if (r.meaning == control::AckMeaning::Bogus) return Error::BadMessage;
    acked_ = r.acked;
    return {};
}

inline Status Endpoint::try_send(const Payload& msg) {
    if (sent_ - acked_ >= kSlots) {
        TRY_STATUS(refresh_credit());
        if (sent_ - acked_ >= kSlots) return Error::Full;
    }
    // The control word is built first: the payload stores below might alias
    // our own fields as far as the compiler knows, and would force reloads.
    Line& line = tx_->slot[tx_slot_];
    const u64 received = received_;
    const u64 ctl = control::data(tx_lap_, received);
    // Step 1: fill the payload with plain stores. The peer consumed this
    // slot's previous line before acking it, and we read that ack with
    // acquire order, so nobody reads these words while we write them.
    for (usize i = 0; i < kPayloadWords; ++i) line.payload[i] = msg.w[i];
    // Step 2: publish. Release order keeps the payload stores before the
    // control store; the control word also piggybacks our consumed count.
    store_release(&line.control, ctl);
    reported_ = received;
    ++sent_;
    advance(tx_slot_, tx_lap_);
    return {};
}

inline Result<Payload> Endpoint::try_recv() {
    const Line& line = rx_->slot[rx_slot_];
    // Step 3: acquire pairs with the sender's release: once the control word
    // says "lap L", the payload written before it is visible.
    const u64 c = load_acquire(&line.control);
    switch (classify(c, rx_lap_, received_ < kSlots)) {
        case SlotState::Empty: return Error::Empty;
        case SlotState::Bad: return Error::BadMessage;
        case SlotState::Fresh: break;
    }
    // Validate the piggybacked ack before consuming, so a bad line changes nothing.
    TRY_STATUS(apply_ack(control::ack(c)));
    Payload msg;
    for (usize i = 0; i < kPayloadWords; ++i) msg.w[i] = line.payload[i];
    ++received_;
    advance(rx_slot_, rx_lap_);
    // Step 4: if we have been quiet for half a ring (nothing to piggyback
    // on), tell the sender through our ack line before it runs out of credit.
    if (received_ - reported_ >= kAckEvery) write_ack_line();
    return msg;
}

inline bool Endpoint::has_message() const {
    const u64 c = load_acquire(&rx_->slot[rx_slot_].control);
    return classify(c, rx_lap_, received_ < kSlots) != SlotState::Empty;
}

template <WaitPolicy W>
Status Endpoint::send_blocking(const Payload& msg, W& wait) {
    wait.begin();
    for (;;) {
        Status s = try_send(msg);
        if (s.ok() || s.error() != Error::Full) return s;
        if (!wait.wait(*this, WaitFor::Credit)) return Error::Timeout;
    }
}

template <WaitPolicy W>
Result<Payload> Endpoint::recv_blocking(W& wait) {
    wait.begin();
    for (;;) {
        Result<Payload> r = try_recv();
        if (r.ok() || r.error() != Error::Empty) return r;
        if (!wait.wait(*this, WaitFor::Message)) return Error::Timeout;
    }
}

}  // namespace mk::urpc
