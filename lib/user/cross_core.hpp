// A URPC channel between two programs on different cores, which can carry
// capabilities in IDL calls (docs/user-level.md, "Channels between programs
// on different cores"; docs/idl.md, "Capabilities").
//
// One side offers: it makes a 4 KiB Frame from its own RAM, maps and clears
// it, and sends it to the peer's core through its monitor (Local.sendCap),
// which gives it a ticket. The other side joins with that ticket: it claims
// the Frame (Local.receiveCap, waiting until the offer has arrived) and maps
// it. The offering side is URPC side A, the joining side B. How the ticket
// reaches the joining side is up to the programs (a convention, a name
// service, another channel); nothing here depends on what they talk about.
//
// transport() is a transport for generated stubs, with the capability hooks
// of lib/idl/cap_offers.hpp: an interface-typed parameter or result becomes
// an offer to the peer's core through the monitor, claimed on arrival into a
// free slot of the receiver's space. Single-threaded, like the stubs: the
// hooks wait for the monitor (yielding) inside the call that needs it.
#pragma once

#include <new>

#include "abi/caps.hpp"
#include "idl/cap_offers.hpp"
#include "urpc/endpoint.hpp"
#include "user/caps.hpp"
#include "user/monitor_link.hpp"
#include "user/syscall.hpp"
#include "user/vm.hpp"

namespace mk::user {

inline u64 read_tsc() {
    u32 lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (u64{hi} << 32) | lo;
}

// The monitor as the agent that moves a channel's capabilities to and from
// the program on core `peer` (mk::idl::OfferAgent).
class MonitorOffers {
public:
    // `patience_cycles`: how long a claim waits for an offer to arrive.
    MonitorOffers(MonitorLink& link, SlotAllocator& slots, u32 peer, u64 patience_cycles)
        : link_(link), slots_(slots), peer_(peer), patience_(patience_cycles) {}

    Result<u64> offer(u32 slot) {
        idl::monitor::Local::SendCapResults r{};
        TRY_STATUS(ask(link_.client().send_cap(slot, peer_, &r)));
        return r.ticket;
    }
    Status claim(u64 ticket, u32 slot) { return ask(link_.client().receive_cap(ticket, slot)); }
    // Tickets are (sending core << 32) | a sequence number of that core's monitor.
    bool expects(u64 ticket) const { return (ticket >> 32) == peer_; }
    Result<u32> free_slot() { return slots_.next(); }
    void release(u32 slot) {
        (void)remove(slot);
        slots_.release(slot);
    }
    void erase(u32 slot) { (void)remove(slot); }
    bool keep_waiting(u32 attempt) {
        if (attempt == 1) since_ = read_tsc();
        yield();  // the monitor (and whatever else runs here) gets the core meanwhile
        return read_tsc() - since_ < patience_;
    }
    u32 peer() const { return peer_; }

private:
    Status ask(Result<idl::CallId> id) { return id.ok() ? link_.wait(*id) : Status(id.error()); }

    MonitorLink& link_;
    SlotAllocator& slots_;
    u32 peer_;
    u64 patience_;
    u64 since_ = 0;
};

class CrossCoreChannel {
public:
    using Transport = idl::OfferCaps<urpc::Endpoint, MonitorOffers>;

    // `space` provides the RAM for the frame and maps it; `slots` the slots
    // for the frame and for capabilities that arrive. Patience 0: ten seconds.
    CrossCoreChannel(MonitorLink& link, AddressSpace& space, SlotAllocator& slots, u32 peer_core,
                     u64 patience_cycles = 0)
        : space_(space), slots_(slots), agent_(link, slots, peer_core, patience_or_default(patience_cycles)) {}
    CrossCoreChannel(const CrossCoreChannel&) = delete;
    CrossCoreChannel& operator=(const CrossCoreChannel&) = delete;

    // Side A: a fresh Frame mapped at `va` (a free page of this space), sent
    // to the peer's core. Returns the ticket the peer joins with.
    Result<u64> offer(u64 va) {
        if (ready_) return Error::Busy;
        u32 spare = TRY(slots_.next());
        Result<u32> frame = space_.make(u32(CapType::Frame), 12);
        Status s = frame.ok() ? space_.map_frame(va, *frame, abi::kMapWrite) : Status(frame.error());
        u64 ticket = 0;
        if (s.ok()) {
            reinterpret_cast<urpc::Frame*>(va)->reset();
            Result<u64> offered = agent_.offer(*frame);
            s = offered.ok() ? Status{} : Status(offered.error());
            ticket = offered.value_or(0);
        }
        if (!s.ok()) {
            if (frame.ok()) {
                (void)space_.unmap_page(va);
                agent_.release(*frame);
            }
            slots_.release(spare);
            return s.error();
        }
        open(*reinterpret_cast<urpc::Frame*>(va), urpc::Side::A, *frame, spare);
        return ticket;
    }

    // Side B: claims the Frame the peer offered under `ticket` (waiting for
    // it up to the patience) and maps it at `va`. InvalidArgument: the
    // capability is not a 4 KiB Frame (it is deleted again).
    Status join(u64 ticket, u64 va) {
        if (ready_) return Error::Busy;
        if (!agent_.expects(ticket)) return Error::InvalidArgument;
        u32 spare = TRY(slots_.next());
        Result<u32> slot = slots_.next();
        Status s = slot.ok() ? Status(Error::NotFound) : Status(slot.error());
        for (u32 attempt = 1; s.error() == Error::NotFound; ++attempt) {
            s = agent_.claim(ticket, *slot);
            if (s.error() == Error::NotFound && !agent_.keep_waiting(attempt)) s = Error::Timeout;
        }
        abi::CapIdentity id{};
        if (s.ok() && (identify(*slot, id) != Error::Ok || id.type != u64(CapType::Frame) || id.bytes != 4096)) {
            s = Error::InvalidArgument;
        }
        if (s.ok()) s = space_.map_frame(va, *slot, abi::kMapWrite);
        if (!s.ok()) {
            if (slot.ok()) agent_.release(*slot);
            slots_.release(spare);
            return s;
        }
        open(*reinterpret_cast<urpc::Frame*>(va), urpc::Side::B, *slot, spare);
        return {};
    }

    bool ready() const { return ready_; }
    // For generated clients and servers; only after offer() or join().
    Transport& transport() { return *std::launder(reinterpret_cast<Transport*>(transport_storage_)); }
    urpc::Endpoint& endpoint() { return endpoint_; }
    u32 frame_cap() const { return frame_; }
    u32 peer() const { return agent_.peer(); }

    // A capability a call brought that the program is done with: deleted,
    // and its slot free for the next one.
    void drop(idl::CapRef cap) { agent_.release(static_cast<u32>(cap.slot)); }

private:
    static u64 patience_or_default(u64 cycles) {
        if (cycles != 0) return cycles;
        const auto& df = *reinterpret_cast<const abi::DispatcherFrame*>(abi::kDispatcherFrameAddress);
        return 10 * df.tsc_hz;
    }
    void open(urpc::Frame& f, urpc::Side side, u32 frame, u32 spare) {
        endpoint_ = urpc::Endpoint::init(f, side);
        new (transport_storage_) Transport(endpoint_, agent_, spare);
        frame_ = frame;
        ready_ = true;
    }

    AddressSpace& space_;
    SlotAllocator& slots_;
    MonitorOffers agent_;
    urpc::Endpoint endpoint_;
    alignas(Transport) u8 transport_storage_[sizeof(Transport)] = {};
    u32 frame_ = 0;
    bool ready_ = false;
};

}  // namespace mk::user
