// A program's channel to its core's monitor (idl/monitor.capnp, interface
// Local): the monitor put a Frame for it in the program's kTaskMonitorLink
// slot when it started the program. Both ends run on the same core, so a
// waiting caller yields to let the monitor run.
#pragma once

#include "abi/caps.hpp"
#include "monitor.urpc.hpp"
#include "urpc/endpoint.hpp"
#include "user/caps.hpp"
#include "user/syscall.hpp"
#include "user/vm.hpp"

namespace mk::user {

class MonitorLink {
public:
    using Client = idl::monitor::LocalClient<urpc::Endpoint>;

    // Maps the channel frame at `va` through `space`. NotFound: this domain
    // has no channel to a monitor (the CPU driver started it, or its parent
    // was not a monitor).
    static Result<MonitorLink*> open(AddressSpace& space, u64 va) {
        constexpr u32 kLink = abi::cap_address(abi::kTaskCNode, abi::kTaskMonitorLink);
        abi::CapIdentity id{};
        if (invoke(kLink, abi::kCapIdentify, reinterpret_cast<u64>(&id)).error != Error::Ok) return Error::NotFound;
        TRY_STATUS(space.map_frame(va, kLink, abi::kMapWrite));
        alignas(MonitorLink) static u8 storage[sizeof(MonitorLink)];
        return new (storage) MonitorLink(*reinterpret_cast<urpc::Frame*>(va));
    }

    Client& client() { return client_; }

    // Waits for the end of a call (its reply or error), yielding meanwhile;
    // Timeout after `polls` rounds.
    Status wait(idl::CallId id, u64 polls = 1000000) {
        for (u64 i = 0; i < polls; ++i) {
            (void)client_.poll();
            Status s = client_.status(id);
            if (s.error() != Error::Empty) return s;
            yield();
        }
        client_.cancel(id);
        return Error::Timeout;
    }

private:
    explicit MonitorLink(urpc::Frame& f) : ep_(urpc::Endpoint::init(f, urpc::Side::B)), client_(ep_) {}
    urpc::Endpoint ep_;
    Client client_;
};

}  // namespace mk::user
