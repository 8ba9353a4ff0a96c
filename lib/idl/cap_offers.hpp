// Capability hooks (caps.hpp) for a transport whose capabilities travel
// beside it as offers under tickets, the way the monitors move them between
// cores (docs/monitor.md, "Capabilities that cross cores"; docs/idl.md,
// "Capabilities"). The sender's agent hands the capability over and gets a
// ticket, which is what the message carries; the receiver's agent claims the
// ticket into a free slot of its own. The message and the offer take
// different paths (the channel, the monitors' mesh), so the message may come
// first: a claim that finds nothing yet is tried again until the agent gives
// up.
//
// OfferCaps<T, A> is the policy, freestanding and the same for every agent:
// what is retried, what is given back when a message cannot be delivered
// whole, and that no offer is left behind when it can be helped. The agent
// is the mechanism (lib/user/cross_core.hpp asks the monitor; the host tests
// use two capability tables).
#pragma once

#include <concepts>

#include "base/result.hpp"
#include "idl/caps.hpp"
#include "idl/transport.hpp"

namespace mk::idl {

template <typename A>
concept OfferAgent = requires(A& a, u32 slot, u64 ticket, u32 attempt) {
    // Hands the capability in `slot` (the sender's, which keeps it) to the
    // peer's side; the ticket that names the offer there.
    { a.offer(slot) } -> std::same_as<Result<u64>>;
    // Places the offered capability in this side's empty `slot`; the offer is
    // then gone. Error::NotFound: no such offer (yet).
    { a.claim(ticket, slot) } -> std::same_as<Status>;
    // Whether the peer could have made this ticket (the other side's tickets
    // name its core): a check, so that a peer cannot claim offers meant for
    // someone else on other cores.
    { a.expects(ticket) } -> std::same_as<bool>;
    // An empty slot of this side's space, and back: release deletes what the
    // slot holds (if anything) and makes it free again; erase only deletes.
    { a.free_slot() } -> std::same_as<Result<u32>>;
    { a.release(slot) } -> std::same_as<void>;
    { a.erase(slot) } -> std::same_as<void>;
    // Called after the `attempt`-th claim found nothing: waits a little (lets
    // the offer travel) and says whether to try again.
    { a.keep_waiting(attempt) } -> std::same_as<bool>;
};

// What OfferCaps did, for tests and reports.
struct OfferStats {
    u64 sent = 0;        // capabilities handed over
    u64 received = 0;    // claimed into a slot for a message
    u64 retries = 0;     // claims that found nothing yet
    u64 released = 0;    // received for a message that then failed: deleted
    u64 discarded = 0;   // offers claimed only to be deleted (no slot, or the message failed)
    u64 abandoned = 0;   // offers that could not even be discarded (never arrived)
};

template <Transport T, OfferAgent A>
class OfferCaps {
public:
    // `spare` is an empty slot kept for discarding: an offer that cannot be
    // received (no free slot, or its message failed) is claimed there and
    // deleted at once, so it does not wait forever in the agent's table.
    OfferCaps(T& transport, A& agent, u32 spare) : transport_(transport), agent_(agent), spare_(spare) {}

    Status try_send(const Payload& p) { return transport_.try_send(p); }
    Result<Payload> try_recv() {
        Payload p;
        Result<bool> got = receive(transport_, p);
        if (!got.ok()) return got.error();
        if (!got.value()) return Error::Empty;
        return p;
    }

    Result<u64> send_cap(CapRef c) {
        if (c.slot > 0xffff'ffffull) return Error::InvalidArgument;  // no slot address
        u64 ticket = TRY(agent_.offer(static_cast<u32>(c.slot)));
        ++stats_.sent;
        return ticket;
    }

    // Claims the offer into a free slot. BadMessage: not a ticket of the peer
    // (nothing is claimed). With no free slot the offer is discarded and the
    // slot allocator's error returned; if the offer never comes, Timeout
    // (the agent's table keeps it if it arrives later: see docs/idl.md).
    Result<CapRef> receive_cap(u64 ticket) {
        if (!agent_.expects(ticket)) return Error::BadMessage;
        Result<u32> slot = agent_.free_slot();
        if (!slot.ok()) {
            discard_cap(ticket);
            return slot.error();
        }
        Status s = claim(ticket, *slot);
        if (!s.ok()) {
            agent_.release(*slot);
            // Refused for another reason than its absence: the offer may still
            // be there, and nobody else will take it.
            if (s.error() != Error::Timeout) discard_cap(ticket);
            return s.error();
        }
        ++stats_.received;
        return CapRef{*slot};
    }

    void release_cap(CapRef c) {
        agent_.release(static_cast<u32>(c.slot));
        ++stats_.released;
    }

    // Takes the offer off the agent's table and deletes the capability.
    void discard_cap(u64 ticket) {
        if (!agent_.expects(ticket)) return;
        if (claim(ticket, spare_).ok()) {
            agent_.erase(spare_);
            ++stats_.discarded;
        } else {
            ++stats_.abandoned;
        }
    }

    const OfferStats& stats() const { return stats_; }
    T& transport() { return transport_; }

private:
    // NotFound is retried while the agent waits; Timeout when it gives up.
    Status claim(u64 ticket, u32 slot) {
        for (u32 attempt = 1;; ++attempt) {
            Status s = agent_.claim(ticket, slot);
            if (s.ok() || s.error() != Error::NotFound) return s;
            ++stats_.retries;
            if (!agent_.keep_waiting(attempt)) return Error::Timeout;
        }
    }

    T& transport_;
    A& agent_;
    u32 spare_;
    OfferStats stats_;
};

}  // namespace mk::idl
