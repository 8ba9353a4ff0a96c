// The simulated machine for the agreement simulation: n cores, each with the
// real Engine, the real OwnershipMap, and its own real lib/caps CapTable
// behind the capability family's real participant (agree::TableParticipant,
// the code the monitors run), joined by a network of per-channel FIFO queues
// with random delays. Everything random comes from one seeded generator, so
// a seed number replays a run exactly.
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
#include "agree/table_participant.hpp"
#include "caps/table.hpp"

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

// A capability as the checks see it: which core holds it, what it names.
struct Held {
    u8 core;
    caps::Capability cap;
};

class World;
class Core;

// This core's memory pool, as the monitor's (monitor/memory.cpp): the
// replicated ownership map, and on commit of a chunk move the two ends move
// the chunk's RAM capability (the giver deletes it, the taker makes it with
// no remote relations: it has no other copy).
class Pool final : public Application {
public:
    Pool(Core& core, OwnershipMap& map) : core_(core), map_(map) {}
    bool well_formed(const Op& op) const override { return map_.well_formed(op); }
    usize claims(const Op& op, Claim (&out)[kMaxClaims]) const override { return map_.claims(op, out); }
    Vote prepare(const Op& op) override;
    u16 answer(const Op& op) const override { return map_.answer(op); }
    void abort(const Op& op) override;
    void commit(const Op& op, u16 answers) override;

private:
    Core& core_;
    OwnershipMap& map_;
};

// One core: engine, applications, and its capability table: a CNode of
// kSlots slots (at a pretend physical address outside the simulated RAM,
// reached through the table's direct map) and the CNode capability itself.
class Core final : public Network, public LocalTable {
public:
    static constexpr u32 kSlots = 128;

    Core(World& w, u8 id, u8 cores, const Topology& topo, PhysAddr base, u64 chunk_bytes, u32 chunks);

    // Network
    void send(u8 to, const Message& m) override;
    // LocalTable: what the monitor does through its Kernel capability
    // (cpudriver/capsys/kernel.cpp), here on this core's own CapTable.
    bool range_in_use(PhysAddr base, u64 bytes) override;
    u64 remove_object(caps::CapType type, PhysAddr base, u64 bytes) override;
    bool can_make(const CapOp& op) override;
    void make(const CapOp& op) override;
    void receive(const CapOp& op) override;
    Result<bool> holds(caps::CapType type, PhysAddr base, u64 bytes) override;
    void delete_copy(const CapOp& op) override;
    void last_copy_gone(const CapOp& op) override;

    // The slot holding a capability that names the object, or kSlots.
    u32 find(caps::CapType type, PhysAddr base, u64 bytes) const;
    u32 chunk_cap(u32 chunk) const { return find(caps::CapType::Ram, map.address_of(chunk), map.chunk_bytes()); }
    u32 free_slot() const;
    caps::Cte& slot(u32 i) { return slots_[i]; }
    const caps::Cte& slot(u32 i) const { return slots_[i]; }
    // Makes the RAM capability of a chunk this core owns (boot, a chunk
    // moving in, a chunk whose capability an agreed revoke removed).
    void make_chunk_cap(u32 chunk);
    // Whether the chunk's memory is all back: its capability has no
    // descendant here and none elsewhere (so it may be freed and move).
    bool chunk_free(u32 chunk) const;
    // Every capability of the table, by walking its derivation tree.
    template <typename F>
    void each(F f) const;

    World& world;
    u8 id;
    OwnershipMap map;

private:
    std::unique_ptr<caps::Cte[]> slots_;  // first: the table's direct map points at it

public:
    caps::CapTable table;
    caps::Cte cnode;  // the CNode capability over slots_
    TableParticipant participant;
    CapAgreement caps_app;
    Pool pool;
    Router router;
    Engine engine;
    u64 op_started = 0;  // step at which the current operation started
    bool running = false;  // an operation of ours is under way
    bool map_changed = true;  // the ownership checks only need to run again after a change
};

template <typename F>
void Core::each(F f) const {
    const caps::Cte* root = &table.root();
    const caps::Cte* n = root->first_child();
    while (n != nullptr) {
        f(n->cap());
        if (n->first_child() != nullptr) {
            n = n->first_child();
            continue;
        }
        while (n != root && n->next() == nullptr) n = n->parent();
        if (n == root) break;
        n = n->next();
    }
}

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
    bool failed() const { return !failure_.empty(); }
    // Every capability in the simulated RAM, on every core.
    void collect(std::vector<Held>& out) const;
    // Whether any core holds a capability naming this object.
    bool held_anywhere(caps::CapType type, PhysAddr base, u64 bytes) const;

    Config cfg;
    Rng rng;
    u64 now = 0;
    std::vector<std::unique_ptr<Core>> cores;
    u64 delivered = 0, duplicates = 0, committed = 0, refused = 0, retries = 0;
    u64 caps_made = 0, caps_removed = 0, last_deletes = 0;
    bool caps_changed = true;  // the capability checks only need to run again after a change
    bool caps_added = true;    // the cross-core ones only after a capability was made

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

    std::vector<std::deque<Envelope>> queues_;
    std::vector<u32> busy_queues_;  // indices of the non-empty queues, in no order
    std::vector<u32> issued_;
    std::vector<u32> ready_;   // scratch: channels whose head is due
    std::vector<Held> live_;   // scratch: every capability
    std::vector<u8> usable_;        // [core * chunks + chunk]: the core may allocate from the chunk
    std::vector<u8> usable_count_;  // [chunk]: how many cores may
    std::string failure_;
};

}  // namespace sim
