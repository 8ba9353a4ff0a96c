// The simulated machine for the agreement simulation: n cores, each with the
// real Engine, the real OwnershipMap and a small capability model behind the
// real CapAgreement, joined by a network of per-channel FIFO queues with
// random delays. Everything random comes from one seeded generator, so a seed
// number replays a run exactly.
#pragma once

#include <algorithm>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "agree/capops.hpp"
#include "agree/engine.hpp"
#include "agree/ownership.hpp"

namespace sim {

using namespace mk;
using namespace mk::agree;

// SplitMix64: small, fast, and the same sequence on every host.
class Rng {
public:
    explicit Rng(u64 seed) : s_(seed) {}
    u64 next() {
        u64 z = (s_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    u64 below(u64 n) { return n == 0 ? 0 : next() % n; }
    bool chance(u32 percent) { return below(100) < percent; }

private:
    u64 s_;
};

// A capability object as the model knows it.
struct Object {
    caps::CapType type;
    PhysAddr base;
    u64 bytes;
    bool operator==(const Object&) const = default;
    bool overlaps(PhysAddr b, u64 n) const { return base < b + n && b < base + bytes; }
};

class World;

// One core: engine, applications, and its local capability state.
class Core final : public Network, public CapParticipant {
public:
    Core(World& w, u8 id, u8 cores, const Topology& topo, PhysAddr base, u64 chunk_bytes, u32 chunks);

    // Network
    void send(u8 to, const Message& m) override;
    // CapParticipant: this core's answers from its own copies (`copies`) and,
    // as owner of a chunk, the objects it carved from it (`carved`).
    Vote check(const CapOp& op) override;
    u16 answer(const CapOp& op) const override;
    void apply(const CapOp& op, u16 answers) override;

    bool holds(const Object& o) const { return std::find(copies.begin(), copies.end(), o) != copies.end(); }
    bool carved_in(u32 chunk) const;

    World& world;
    u8 id;
    OwnershipMap map;
    CapAgreement caps_app;
    Router router;
    Engine engine;
    std::vector<Object> copies;  // capabilities held on this core
    std::vector<Object> carved;  // objects made from chunks this core owns, live somewhere
    u64 op_started = 0;          // step at which the current operation started
    bool running = false;        // an operation of ours is under way
};

struct Envelope {
    Message m;
    u64 ready_at;
    bool duplicate;  // an injected second copy: Duplicate or Stale is fine for it
};

struct Config {
    u64 seed = 0;
    u8 cores = 4;
    Topology topo = Topology::flat(4);
    u32 chunks = 32;
    u32 ops_per_core = 6;   // operations each core issues
    u32 max_delay = 6;      // per message, in steps
    u32 dup_percent = 5;    // chance a delivered message is delivered again later
    u64 op_bound = 20000;   // steps one operation may stay pending
    u64 step_bound = 200000;
    bool verbose = false;
};

// Derives a run's shape from its seed: core count 2..16 and a topology.
Config config_for(u64 seed, u32 min_cores, u32 max_cores);

class World {
public:
    explicit World(const Config& c);

    // Runs to quiescence; returns an empty string or the first violation.
    std::string run();
    // Queues a message on the from -> to channel, due at `ready_at` or after
    // the message ahead of it, whichever is later (per-channel FIFO).
    void post(u8 from, u8 to, const Message& m, u64 ready_at, bool duplicate);
    void fail(const std::string& what) {
        if (failure_.empty()) failure_ = what;
    }

    Config cfg;
    Rng rng;
    u64 now = 0;
    std::vector<std::unique_ptr<Core>> cores;
    u64 delivered = 0, duplicates = 0, committed = 0, refused = 0, retries = 0;
    bool caps_changed = true;  // the object checks only need to run again after a capability commit

private:
    void issue(Core& c);
    u32 ram_chunk(Core& c);
    // Delivers up to `count` messages, each the head of a different random channel that is due.
    void deliver(u32 count);
    u8 deliver_head(u32 index);  // returns the receiving core
    // After `touched`'s state may have changed.
    void check_step(u8 touched);
    void check_pending();
    void check_quiet();
    bool quiet() const;
    std::string where() const;

    std::vector<std::deque<Envelope>> queues_;
    std::vector<u32> busy_queues_;  // indices of the non-empty queues, in no order
    std::vector<u32> issued_;
    std::vector<u32> ready_;   // scratch: channels whose head is due
    std::vector<Object> live_; // scratch: every object copy
    std::vector<u8> usable_;        // [core * chunks + chunk]: the core may allocate from the chunk
    std::vector<u8> usable_count_;  // [chunk]: how many cores may
    std::string failure_;
};

}  // namespace sim
