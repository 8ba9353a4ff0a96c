// The boot mailbox: the first message channel between the BSP and another
// core, used for the boot handshake before anything else exists. One 64-byte
// line per direction in a shared frame; each side writes only its own line.
//
// A message is published by writing its payload and then its sequence number
// with release order; the receiver polls the peer's sequence with acquire
// order. The receiver acknowledges by writing the count it has consumed into
// the `ack` word of its OWN line, so the sender may reuse its line once the
// peer's ack has caught up: at most one message is in flight each way.
#pragma once

#include "base/atomic.hpp"
#include "base/types.hpp"

namespace mk::boot {

struct alignas(64) MailLine {
    u64 word[5];   // the message: kind and four arguments
    u64 sleeping;  // this side is about to halt: wake it with an IPI
    u64 ack;       // messages of the peer this side has consumed
    u64 seq;       // messages this side has published
};
static_assert(sizeof(MailLine) == 64 && alignof(MailLine) == 64);

struct MailboxFrame {
    MailLine to_core;  // written by the BSP
    MailLine to_bsp;   // written by the other core
};
static_assert(sizeof(MailboxFrame) == 128);

struct Mail {
    u64 kind;
    u64 arg[4];
};

enum MailKind : u64 {
    kMailAlive = 1,    // core -> BSP: out of the trampoline, parameters consumed
    kMailReady = 2,    // core -> BSP: fully initialised {apic id, timer ticks}
    kMailPing = 3,     // BSP -> core: {sequence}
    kMailPong = 4,     // core -> BSP: {sequence}
    kMailStop = 5,     // BSP -> core: halt
    kMailStopped = 6,  // core -> BSP: halting now
    kMailTestFault = 7,  // BSP -> core: raise the given deliberate fault (test-only)
    kMailStartDomains = 8,  // BSP -> core: load and run this core's monitor
    kMailDomainsEnded = 9,  // core -> BSP: every domain on this core has ended
};

class MailboxEnd {
public:
    MailboxEnd() = default;
    MailboxEnd(MailLine* out, const MailLine* in) : out_(out), in_(in) {}

    static MailboxEnd bsp_side(MailboxFrame* f) { return {&f->to_core, &f->to_bsp}; }
    static MailboxEnd core_side(MailboxFrame* f) { return {&f->to_bsp, &f->to_core}; }

    // False while the peer has not consumed our previous message.
    bool try_send(const Mail& m) {
        if (load_acquire(&in_->ack) != sent_) return false;
        out_->word[0] = m.kind;
        for (int i = 0; i < 4; ++i) out_->word[i + 1] = m.arg[i];
        store_release(&out_->seq, ++sent_);
        return true;
    }

    // False when no new message has arrived.
    bool try_recv(Mail& m) {
        if (load_acquire(&in_->seq) != received_ + 1) return false;
        m.kind = in_->word[0];
        for (int i = 0; i < 4; ++i) m.arg[i] = in_->word[i + 1];
        store_release(&out_->ack, ++received_);
        return true;
    }

    // Sleeping is a Dekker-style handshake: the sleeper announces itself and
    // then looks for mail once more; the sender publishes and then looks for
    // the announcement. The full fences order each side's store before its
    // load (x86 may otherwise reorder them, SDM 3A 8.2.3.4), so at least one
    // side sees the other: either the sleeper finds the mail or the sender
    // sends the wake-up.
    void announce_sleep() {
        store_relaxed(&out_->sleeping, u64{1});
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    }
    void announce_awake() { store_relaxed(&out_->sleeping, u64{0}); }
    bool has_mail() const { return load_acquire(&in_->seq) == received_ + 1; }
    // After a successful try_send: does the peer need a wake-up?
    bool peer_sleeping() const {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        return load_relaxed(&in_->sleeping) != 0;
    }

private:
    MailLine* out_ = nullptr;
    const MailLine* in_ = nullptr;
    u64 sent_ = 0;
    u64 received_ = 0;
};

}  // namespace mk::boot
