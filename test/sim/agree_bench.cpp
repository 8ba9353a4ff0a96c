// agree-bench: the cost of one agreement round against core count, for the
// flat topology and the trees (docs/agreement.md, "Costs"). It runs the real
// engine in a discrete-event model of the machine with three costs, in
// ticks: a message takes kHop ticks on the wire; each send occupies the
// sending core for kSend ticks (writing a cache line); handling a received
// message occupies the receiver for kHandle ticks. A core does one thing at
// a time, so a root that talks to everyone itself pays for it in series.
//
// Prints rows in the project's benchmark format (docs/benchmarks.md), mode
// "sim": every figure is exact for the model, so median = p99 over the
// possible coordinators.
//
//   agree-bench [--max-cores N] [--hop T] [--send T] [--handle T]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <queue>
#include <vector>

#include "agree/engine.hpp"

namespace {

using namespace mk;
using namespace mk::agree;

u64 kHop = 20, kSend = 2, kHandle = 4;

struct Yes final : Application {
    bool well_formed(const Op&) const override { return true; }
    usize claims(const Op&, Claim (&out)[kMaxClaims]) const override {
        out[0] = {1, 0, 1};
        return 1;
    }
    Vote prepare(const Op&) override { return Vote::Yes; }
};

struct Event {
    u64 at, order;
    u8 to;
    Message m;
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : order > o.order; }
};

struct Round {
    u64 messages = 0, root_messages = 0, commit_at = 0, done_at = 0;
};

class Machine {
public:
    explicit Machine(Topology t) : topo_(t) {
        for (u8 c = 0; c < t.cores(); ++c) cores_.push_back(std::make_unique<Core>(this, c));
        for (auto& c : cores_) c->engine = std::make_unique<Engine>(c->id, topo_, *c, app_);
    }

    Round run(u8 root) {
        Round r;
        Core& rc = *cores_[root];
        rc.cursor = 0;
        if (!rc.engine->start(Op{}).ok()) std::abort();
        rc.free_at = rc.cursor;
        while (!events_.empty()) {
            Event e = events_.top();
            events_.pop();
            Core& c = *cores_[e.to];
            c.cursor = std::max(e.at, c.free_at) + kHandle;
            if (c.engine->receive(e.m) != Receipt::Accepted) std::abort();
            c.free_at = c.cursor;
            if (e.to == root && e.m.kind == Kind::Vote && rc.engine->slot(root).phase == Phase::Committed &&
                r.commit_at == 0)
                r.commit_at = c.free_at;
            if (e.to == root && rc.engine->idle()) r.done_at = c.free_at;
        }
        if (topo_.cores() == 1) r.commit_at = r.done_at = rc.free_at;
        for (auto& c : cores_) r.messages += c->engine->stats().sent_total();
        r.root_messages = 2 * rc.engine->stats().sent_total();  // it receives as many as it sends
        return r;
    }

private:
    struct Core final : Network {
        Core(Machine* m, u8 i) : machine(m), id(i) {}
        void send(u8 to, const Message& m) override {
            cursor += kSend;
            machine->events_.push({cursor + kHop, machine->order_++, to, m});
        }
        Machine* machine;
        u8 id;
        u64 cursor = 0, free_at = 0;
        std::unique_ptr<Engine> engine;
    };

    Topology topo_;
    Yes app_;
    std::vector<std::unique_ptr<Core>> cores_;
    std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
    u64 order_ = 0;
};

void row(const char* metric, unsigned cores, const char* src, const char* unit, std::vector<double> v) {
    std::sort(v.begin(), v.end());
    std::printf("agree,%s,sim,%u,%s,-,%s,%.2f,%.2f,%zu\n", metric, cores, src, unit, v[v.size() / 2],
                v[(v.size() * 99) / 100 < v.size() ? (v.size() * 99) / 100 : v.size() - 1], v.size());
}

}  // namespace

int main(int argc, char** argv) {
    unsigned max_cores = 64;
    for (int i = 1; i + 1 < argc; i += 2) {
        const u64 v = std::strtoull(argv[i + 1], nullptr, 0);
        if (!std::strcmp(argv[i], "--max-cores")) max_cores = unsigned(v);
        else if (!std::strcmp(argv[i], "--hop")) kHop = v;
        else if (!std::strcmp(argv[i], "--send")) kSend = v;
        else if (!std::strcmp(argv[i], "--handle")) kHandle = v;
        else return 2;
    }
    if (max_cores < 2 || max_cores > 64) return 2;
    std::printf("# one agreement round; ticks: hop %llu, send %llu, handle %llu; latency in hops = ticks / hop\n",
                (unsigned long long)kHop, (unsigned long long)kSend, (unsigned long long)kHandle);
    std::printf("suite,metric,mode,cores,src,dst,unit,median,p99,samples\n");
    for (unsigned n = 2; n <= max_cores; n *= 2) {
        struct Shape {
            const char* name;
            Topology t;
        };
        const Shape shapes[] = {{"flat", Topology::flat(u8(n))},
                                {"tree2", Topology::tree(u8(n), 2)},
                                {"tree4", Topology::tree(u8(n), 4)},
                                {"grouped8", Topology::grouped(u8(n), 8)}};
        for (const Shape& s : shapes) {
            std::vector<double> msgs, root, commit, done;
            for (u8 root_core = 0; root_core < n; ++root_core) {
                Machine m(s.t);
                const Round r = m.run(root_core);
                msgs.push_back(double(r.messages));
                root.push_back(double(r.root_messages));
                commit.push_back(double(r.commit_at) / double(kHop));
                done.push_back(double(r.done_at) / double(kHop));
            }
            row("round_msgs", n, s.name, "msgs", msgs);
            row("root_msgs", n, s.name, "msgs", root);
            row("commit_latency", n, s.name, "hops", commit);
            row("round_latency", n, s.name, "hops", done);
        }
    }
    return 0;
}
