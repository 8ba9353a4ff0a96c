// Test fixture for lib/svc: n replicas, each an agree::Engine with a
// Replicated on top, joined by per-channel FIFO queues. A seeded generator
// picks which channel delivers next and when time moves on, so a seed
// replays exactly and different seeds interleave proposers differently.
#pragma once

#include <catch2/catch.hpp>

#include <deque>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "svc/replicated.hpp"

namespace svc_test {

using namespace mk;

struct Applied {
    u8 origin;
    svc::Update update;
    bool operator==(const Applied&) const = default;
};

// Records every update it applies; refuses the actions in `refuse`.
class Log final : public svc::StateMachine {
public:
    bool valid(const svc::Update& u) const override { return u.action != 99; }
    bool acceptable(const svc::Update& u) const override { return u.action != refuse; }
    void apply(const svc::Update& u, u8 origin, u32 ticket) override {
        applied.push_back({origin, u});
        CHECK(ticket > last_ticket[origin]);  // each proposer's tickets in order
        last_ticket[origin] = ticket;
    }
    u32 last_ticket[64] = {};
    std::vector<Applied> applied;
    u8 refuse = 0;
};

template <typename Machine = Log>
class Replicas {
public:
    Replicas(u8 n, agree::Topology topology, u64 seed, u32 stream = 0) : topo(topology), rng(seed) {
        for (u8 i = 0; i < n; ++i) nodes.push_back(std::make_unique<Node>(this, i, n, stream));
        for (auto& node : nodes) node->engine = std::make_unique<agree::Engine>(node->self, topo, *node, node->state);
    }

    svc::Replicated& state(u8 i) { return nodes[i]->state; }
    Machine& machine(u8 i) { return nodes[i]->machine; }
    agree::Engine& engine(u8 i) { return *nodes[i]->engine; }
    u8 size() const { return static_cast<u8>(nodes.size()); }

    // Delivers messages in a random order across channels (FIFO within
    // one), pumping every replica's queue, until nothing is left to send or
    // start. Returns the number of messages delivered.
    u64 run(u64 limit = 2000000, u32 duplicate_percent = 0) {
        u64 delivered = 0;
        for (;;) {
            for (auto& node : nodes) node->state.pump(*node->engine);
            std::vector<int> ready;
            for (auto& [key, q] : queues) {
                if (!q.empty()) ready.push_back(key);
            }
            if (ready.empty()) {
                bool waiting = false;
                for (auto& node : nodes) waiting = waiting || !node->engine->idle() || node->state.queued() != 0;
                if (!waiting) return delivered;
                now += 1;  // a retry waits for its backoff: let time pass
                for (auto& node : nodes) node->engine->poll(now);
                REQUIRE(now < 100000000);
                continue;
            }
            int key = ready[rng() % ready.size()];
            auto& q = queues[key];
            agree::Message m = q.front();
            q.pop_front();
            if (duplicate_percent != 0 && rng() % 100 < duplicate_percent) q.push_back(m);  // again, later
            agree::Receipt r = engine(u8(key % 64)).receive(m);
            CHECK((r == agree::Receipt::Accepted || (duplicate_percent != 0 && (r == agree::Receipt::Duplicate ||
                                                                                 r == agree::Receipt::Stale))));
            if (++delivered % 7 == 0) {
                now += rng() % 3;
                for (auto& node : nodes) node->engine->poll(now);
            }
            REQUIRE(delivered < limit);
        }
    }

    agree::Topology topo;
    std::mt19937_64 rng;
    u64 now = 0;

private:
    struct Node final : agree::Network {
        Node(Replicas* r, u8 i, u8 n, u32 stream)
            : owner(r), self(i), state(agree::kFamilyService, stream, i, n, machine) {}
        void send(u8 to, const agree::Message& m) override { owner->queues[self * 64 + to].push_back(m); }
        Replicas* owner;
        u8 self;
        Machine machine;
        svc::Replicated state;
        std::unique_ptr<agree::Engine> engine;
    };
    std::vector<std::unique_ptr<Node>> nodes;
    std::map<int, std::deque<agree::Message>> queues;
};

}  // namespace svc_test
