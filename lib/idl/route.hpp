// One channel often carries the requests of one interface and the replies
// of another (or of the same interface, when both ends serve it): each side
// then reads the channel itself and hands every payload to its client
// (replies) or its server (requests).
#pragma once

#include "idl/wire.hpp"
#include "urpc/endpoint.hpp"

namespace mk::idl {

// Routes up to 64 waiting payloads of `ep` to the client (replies) or the
// server (requests), after flushing both outboxes. A request the server
// cannot take yet (its reply waits for room) stays in `stash` for the next call.
template <typename Client, typename Server>
void route(urpc::Endpoint& ep, Client& client, Server& server, urpc::Payload& stash, bool& stashed) {
    (void)client.poll(0);
    (void)server.poll(0);
    for (int budget = 0; budget < 64; ++budget) {
        if (stashed) {
            if (server.accept(stash).error() == Error::Busy) return;
            stashed = false;
        }
        auto p = ep.try_recv();
        if (!p.ok()) return;
        if (Header::unpack(p->w[0]).reply) {
            (void)client.accept(*p);
        } else if (server.accept(*p).error() == Error::Busy) {
            stash = *p;
            stashed = true;
        }
    }
}

}  // namespace mk::idl
