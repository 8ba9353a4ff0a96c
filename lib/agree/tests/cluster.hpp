// Test fixture for lib/agree: n engines joined by per-channel FIFO queues
// that the test delivers from by hand, so each test chooses the order of
// every step. The application is a counter per core: an operation claims
// keys [arg0, arg1) and adds arg2 on commit, so a double apply shows.
#pragma once

#include <catch2/catch.hpp>

#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "agree/engine.hpp"

namespace agree_test {

using namespace mk;
using namespace mk::agree;

inline constexpr u8 kTestFamily = 7;

inline Op key_op(u64 begin, u64 end, u64 add = 1) {
    Op op;
    op.family = kTestFamily;
    op.action = 1;
    op.arg[0] = begin;
    op.arg[1] = end;
    op.arg[2] = add;
    return op;
}

class CounterApp final : public Application {
public:
    bool well_formed(const Op& op) const override {
        return op.family == kTestFamily && op.action == 1 && op.arg[0] < op.arg[1];
    }
    usize claims(const Op& op, Claim (&out)[kMaxClaims]) const override {
        out[0] = {1, op.arg[0], op.arg[1]};
        return 1;
    }
    Vote prepare(const Op&) override {
        ++prepares;
        if (refuse) return Vote::Refused;
        if (not_now > 0) {
            --not_now;
            return Vote::Conflict;
        }
        ++reserved;
        return Vote::Yes;
    }
    void commit(const Op& op, u16) override {
        ++commits;
        --reserved;
        value += op.arg[2];
    }
    void abort(const Op&) override {
        ++aborts;
        --reserved;
    }
    void finished(const Op&, Outcome o) override { outcomes.push_back(o); }

    bool refuse = false;
    int not_now = 0;  // answer Conflict this many times
    int prepares = 0, commits = 0, aborts = 0, reserved = 0;
    u64 value = 0;
    std::vector<Outcome> outcomes;
};

class Cluster {
public:
    explicit Cluster(Topology t) : topo(t) {
        for (u8 c = 0; c < t.cores(); ++c) {
            nodes.push_back(std::make_unique<Node>(this, c));
        }
        for (auto& n : nodes) n->engine = std::make_unique<Engine>(n->core, topo, *n, n->app);
    }

    Engine& engine(u8 c) { return *nodes[c]->engine; }
    CounterApp& app(u8 c) { return nodes[c]->app; }
    std::deque<Message>& channel(u8 from, u8 to) { return queues[from * 64 + to]; }

    // Delivers the oldest message on from -> to; returns how it was taken.
    Receipt deliver(u8 from, u8 to) {
        auto& q = channel(from, to);
        REQUIRE(!q.empty());
        Message m = q.front();
        q.pop_front();
        last = m;
        return engine(to).receive(m);
    }
    // Delivers everything, lowest channel first, until no message is left
    // or `limit` messages went. Returns the number delivered.
    int run(int limit = 100000) {
        int delivered = 0;
        for (bool any = true; any && delivered < limit;) {
            any = false;
            for (auto& [key, q] : queues) {
                if (q.empty()) continue;
                any = true;
                Message m = q.front();
                q.pop_front();
                Receipt r = engine(u8(key % 64)).receive(m);
                CHECK(r == Receipt::Accepted);
                ++delivered;
                break;
            }
        }
        return delivered;
    }
    usize pending() const {
        usize n = 0;
        for (auto& [key, q] : queues) n += q.size();
        return n;
    }
    // Every retry whose backoff ends by `now` starts.
    void poll(u64 now) {
        for (auto& n : nodes) n->engine->poll(now);
    }

    Topology topo;
    Message last;

private:
    struct Node final : Network {
        Node(Cluster* cl, u8 c) : cluster(cl), core(c) {}
        void send(u8 to, const Message& m) override { cluster->channel(core, to).push_back(m); }
        Cluster* cluster;
        u8 core;
        CounterApp app;
        std::unique_ptr<Engine> engine;
    };
    std::vector<std::unique_ptr<Node>> nodes;
    std::map<int, std::deque<Message>> queues;
};

}  // namespace agree_test
