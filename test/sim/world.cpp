// The simulation's machine: workload, network and invariant checks
// (docs/agreement.md, "Simulation").
#include "world.hpp"

namespace sim {

namespace {

constexpr PhysAddr kBase = 0x10000000;
constexpr u64 kChunkBytes = 0x10000;  // 64 KiB: a power of two, so a whole chunk is one RAM object

std::string fmt(const char* f, unsigned long long a = 0, unsigned long long b = 0, unsigned long long c = 0,
                unsigned long long d = 0) {
    char buf[256];
    std::snprintf(buf, sizeof buf, f, a, b, c, d);
    return buf;
}

}  // namespace

Config config_for(u64 seed, u32 min_cores, u32 max_cores) {
    Config c;
    c.seed = seed;
    Rng r(seed ^ 0x5eed5eed5eedull);
    c.cores = u8(min_cores + r.below(max_cores - min_cores + 1));
    switch (r.below(4)) {
        case 0: c.topo = Topology::flat(c.cores); break;
        case 1: c.topo = Topology::tree(c.cores, 2); break;
        case 2: c.topo = Topology::tree(c.cores, 3); break;
        default: c.topo = Topology::grouped(c.cores, u8(2 + r.below(3))); break;
    }
    c.max_delay = u32(1 + r.below(8));
    c.dup_percent = u32(r.below(3) * 5);  // 0, 5 or 10 %
    return c;
}

Core::Core(World& w, u8 i, u8 n, const Topology& topo, PhysAddr base, u64 chunk_bytes, u32 chunks)
    : world(w), id(i), map(i, n, base, chunk_bytes, chunks), caps_app(n, *this), engine(i, topo, *this, router) {
    router.route(kFamilyOwnership, map);
    router.route(kFamilyCaps, caps_app);
}

void Core::send(u8 to, const Message& m) {
    world.post(id, to, m, world.now + 1 + world.rng.below(world.cfg.max_delay), false);
}

void World::post(u8 from, u8 to, const Message& m, u64 ready_at, bool duplicate) {
    const u32 index = u32(from) * cfg.cores + to;
    auto& q = queues_[index];
    if (q.empty()) busy_queues_.push_back(index);
    else if (q.back().ready_at > ready_at) ready_at = q.back().ready_at;  // never overtake
    q.push_back({m, ready_at, duplicate});
}

bool Core::carved_in(u32 chunk) const {
    for (const Object& o : carved)
        if (map.chunk_of(o.base) == chunk) return true;
    return false;
}

Vote Core::check(const CapOp& op) {
    const u32 chunk = map.chunk_of(op.base);
    // The operation must lie inside one chunk (a model simplification: a
    // RAM capability here is exactly one chunk).
    if (chunk >= map.chunks() || map.chunk_of(op.base + op.bytes - 1) != chunk) return Vote::Refused;
    const bool issuer = op.issuer == id;
    switch (op.action) {
        case CapAction::Retype:
            // Retype must fail if any core holds a conflicting descendant.
            for (const Object& o : copies)
                if (o.overlaps(op.base, op.bytes)) return Vote::Refused;
            // The issuer retypes from RAM it owns and has taken for capabilities.
            if (issuer && !(map.usable(chunk) && map.in_use(chunk))) return Vote::Refused;
            return Vote::Yes;
        case CapAction::Revoke:
            if (issuer && !(map.usable(chunk) && map.in_use(chunk))) return Vote::Refused;
            return Vote::Yes;
        case CapAction::DeleteLast:
            if (issuer && !holds({op.type, op.base, op.bytes})) return Vote::Refused;
            return Vote::Yes;
    }
    return Vote::Refused;
}

u16 Core::answer(const CapOp& op) const {
    if (op.action == CapAction::DeleteLast && op.issuer != id && holds({op.type, op.base, op.bytes}))
        return kCopyHeldElsewhere;
    return 0;
}

void Core::apply(const CapOp& op, u16 answers) {
    world.caps_changed = true;
    const Object obj{op.type, op.base, op.bytes};
    const bool owner = map.owner(map.chunk_of(op.base)) == id;
    switch (op.action) {
        case CapAction::Retype:
            if (op.holders >> id & 1) copies.push_back(obj);
            if (owner) carved.push_back(obj);
            break;
        case CapAction::Revoke: {
            auto inside = [&](const Object& o) { return o.overlaps(op.base, op.bytes); };
            copies.erase(std::remove_if(copies.begin(), copies.end(), inside), copies.end());
            if (owner) carved.erase(std::remove_if(carved.begin(), carved.end(), inside), carved.end());
            // Revoke removes every descendant on every core: here, at once.
            for (const Object& o : copies)
                if (inside(o)) world.fail(fmt("core %llu kept a descendant at %#llx after revoke", id, o.base));
            break;
        }
        case CapAction::DeleteLast:
            if (op.issuer == id) {
                auto it = std::find(copies.begin(), copies.end(), obj);
                if (it == copies.end()) world.fail(fmt("core %llu: DeleteLast committed without its copy", id));
                else copies.erase(it);
            }
            // The last copy: the memory goes back to the chunk's owner.
            if (owner && !(answers & kCopyHeldElsewhere)) {
                auto it = std::find(carved.begin(), carved.end(), obj);
                if (it != carved.end()) carved.erase(it);
            }
            break;
    }
}

World::World(const Config& c) : cfg(c), rng(c.seed) {
    cfg.chunks = std::min<u32>(cfg.chunks, OwnershipMap::kMaxChunks);
    for (u8 i = 0; i < cfg.cores; ++i)
        cores.push_back(std::make_unique<Core>(*this, i, cfg.cores, cfg.topo, kBase, kChunkBytes, cfg.chunks));
    // Boot: the same deal on every replica, chunks in runs of random length.
    u8 owner = 0;
    for (u32 k = 0; k < cfg.chunks; ++k) {
        if (rng.chance(40)) owner = u8(rng.below(cfg.cores));
        for (auto& core : cores) (void)core->map.assign(k, owner);
    }
    queues_.resize(usize(cfg.cores) * cfg.cores);
    usable_.assign(usize(cfg.cores) * cfg.chunks, 0);
    usable_count_.assign(cfg.chunks, 0);
    issued_.assign(cfg.cores, 0);
}

// A chunk this core has taken for capabilities (its RAM), taking one if it
// has none yet; chunks() if it owns nothing free.
u32 World::ram_chunk(Core& c) {
    std::vector<u32> mine;
    for (u32 k = 0; k < c.map.chunks(); ++k)
        if (c.map.usable(k) && c.map.in_use(k)) mine.push_back(k);
    if (!mine.empty() && rng.chance(80)) return mine[rng.below(mine.size())];
    auto fresh = c.map.allocate();
    return fresh.ok() ? fresh.value() : c.map.chunks();
}

// One random thing for an idle core to do. Local allocation happens without
// messages; everything else is an agreed operation, aimed at a small memory
// so that operations from different cores collide often.
void World::issue(Core& c) {
    OwnershipMap& map = c.map;
    const u32 n = map.chunks();
    const u64 pick = rng.below(100);
    if (pick < 10) {  // local allocation or free: no agreement needed
        if (rng.chance(50)) {
            (void)map.allocate();
        } else {
            const u32 k = u32(rng.below(n));
            if (map.in_use(k) && map.usable(k) && !c.carved_in(k)) (void)map.release(k);
        }
        return;
    }
    Op op;
    if (pick < 40) {  // ask another core for a run of its chunks (on a possibly stale view)
        const u8 from = u8(rng.below(cfg.cores));
        const u32 count = u32(1 + rng.below(3));
        u32 first = u32(rng.below(n));
        if (rng.chance(70)) {
            const u32 run = map.find_run(from, count);
            if (run < n) first = run;
        }
        if (from == c.id || first + count > n) return;
        op = encode(ChunkMove{first, count, from, c.id});
    } else if (pick < 50) {  // give one chunk away
        const u32 k = u32(rng.below(n));
        const u8 to = u8(rng.below(cfg.cores));
        if (to == c.id) return;
        op = encode(ChunkMove{k, 1, c.id, to});
    } else if (pick < 75) {  // retype a frame inside a chunk, shared by a random set of cores
        const u32 k = rng.chance(70) ? ram_chunk(c) : u32(rng.below(n));
        if (k >= n) return;
        const u64 bytes = u64(0x1000) << rng.below(3);
        const PhysAddr base = map.address_of(k) + bytes * rng.below(kChunkBytes / bytes);
        u64 holders = rng.next() & cfg.topo.everyone();
        if (holders == 0) holders = u64(1) << c.id;
        op = encode(CapOp{CapAction::Retype, caps::CapType::Frame, c.id, base, bytes, holders});
    } else if (pick < 85) {  // revoke a whole chunk of RAM
        const u32 k = rng.chance(70) ? ram_chunk(c) : u32(rng.below(n));
        if (k >= n) return;
        op = encode(CapOp{CapAction::Revoke, caps::CapType::Ram, c.id, map.address_of(k), kChunkBytes, 0});
    } else {  // delete one of our copies
        if (c.copies.empty()) return;
        const Object& o = c.copies[rng.below(c.copies.size())];
        op = encode(CapOp{CapAction::DeleteLast, o.type, c.id, o.base, o.bytes, 0});
    }
    const Status s = c.engine.start(op);
    if (!s.ok()) {
        fail(fmt("core %llu: start refused a valid operation (%llu)", c.id, u64(s.error())));
        return;
    }
    ++issued_[c.id];
    c.op_started = now;
    c.running = true;
    if (cfg.verbose)
        std::printf("  %6llu c%u start family %u action %u args %#llx %#llx %#llx\n", (unsigned long long)now, c.id,
                    op.family, op.action, (unsigned long long)op.arg[0], (unsigned long long)op.arg[1],
                    (unsigned long long)op.arg[2]);
}

void World::deliver(u32 count) {
    ready_.clear();
    for (u32 q : busy_queues_)
        if (queues_[q].front().ready_at <= now) ready_.push_back(q);
    while (count-- > 0 && !ready_.empty() && failure_.empty()) {
        const usize pick = rng.below(ready_.size());
        const u32 index = ready_[pick];
        ready_[pick] = ready_.back();
        ready_.pop_back();
        check_step(deliver_head(index));
    }
}

// Delivers the head of channel `index`.
u8 World::deliver_head(u32 index) {
    auto& q = queues_[index];
    Envelope e = q.front();
    q.pop_front();
    if (q.empty()) {
        auto it = std::find(busy_queues_.begin(), busy_queues_.end(), index);
        *it = busy_queues_.back();
        busy_queues_.pop_back();
    }
    const u8 to = u8(index % cfg.cores);
    // A duplicate goes to the back of the same channel: it arrives later,
    // after the messages that followed the original.
    if (!e.duplicate && rng.chance(cfg.dup_percent)) {
        post(e.m.from, to, e.m, now + 1 + rng.below(cfg.max_delay * 4), true);
        ++duplicates;
    }
    const Receipt r = cores[to]->engine.receive(e.m);
    ++delivered;
    if (cfg.verbose)
        std::printf("  %6llu c%u <- c%u %-7s coord %u seq %u att %u vote %s: %s%s\n", (unsigned long long)now, to,
                    e.m.from, kind_name(e.m.kind), e.m.coordinator, e.m.seq, e.m.attempt, vote_name(e.m.vote),
                    receipt_name(r), e.duplicate ? " (duplicate)" : "");
    const bool fine = r == Receipt::Accepted || (e.duplicate && (r == Receipt::Duplicate || r == Receipt::Stale));
    if (!fine)
        fail(fmt("core %llu rejected a message from core %llu: ", to, e.m.from) + kind_name(e.m.kind) + " -> " +
             receipt_name(r));
    return to;
}

bool World::quiet() const {
    if (!busy_queues_.empty()) return false;
    for (const auto& c : cores)
        if (c->engine.busy()) return false;
    return true;
}

// Invariants that hold after every step.
void World::check_step(u8 touched) {
    // Only `touched`'s replica can have changed since the last check: update
    // its column of the "who may use chunk k" table, then check the totals.
    const u32 n = cfg.chunks;
    const Core& c = *cores[touched];
    for (u32 k = 0; k < n; ++k) {
        const u8 now_usable = c.map.usable(k);
        u8& was = usable_[touched * n + k];
        usable_count_[k] = u8(usable_count_[k] - was + now_usable);
        was = now_usable;
        if (usable_count_[k] > 1) fail(fmt("chunk %llu is owned by %llu cores at once", k, usable_count_[k]));
        if (c.map.in_use(k) && c.map.owner(k) != c.id)
            fail(fmt("core %llu uses chunk %llu that it does not own", c.id, k));
    }
    // No two distinct live objects overlap (copies of one object may).
    if (!caps_changed) return check_pending();
    caps_changed = false;
    std::vector<Object>& live = live_;
    live.clear();
    for (const auto& c : cores) {
        for (usize i = 0; i < c->copies.size(); ++i)
            for (usize j = i + 1; j < c->copies.size(); ++j)
                if (c->copies[i] == c->copies[j])
                    fail(fmt("core %llu holds object %#llx twice (applied twice?)", c->id, c->copies[i].base));
        live.insert(live.end(), c->copies.begin(), c->copies.end());
    }
    std::sort(live.begin(), live.end(), [](const Object& a, const Object& b) {
        return a.base != b.base ? a.base < b.base : a.bytes < b.bytes;
    });
    for (usize i = 1; i < live.size(); ++i)
        if (!(live[i] == live[i - 1]) && live[i].overlaps(live[i - 1].base, live[i - 1].bytes))
            fail(fmt("retype overlap: objects at %#llx+%#llx and %#llx+%#llx", live[i - 1].base, live[i - 1].bytes,
                     live[i].base, live[i].bytes));
    check_pending();
}

void World::check_pending() {
    // No operation stays pending forever.
    for (const auto& c : cores)
        if (c->running && now - c->op_started > cfg.op_bound)
            fail(fmt("core %llu's operation is pending after %llu steps", c->id, now - c->op_started));
}

// Invariants that hold once everything has settled.
void World::check_quiet() {
    for (const auto& c : cores) {
        if (!c->map.same_owners(cores[0]->map)) fail(fmt("replicas of cores 0 and %llu differ", c->id));
        for (u32 k = 0; k < cfg.chunks; ++k)
            if (c->map.pledged(k)) fail(fmt("core %llu still pledges chunk %llu", c->id, k));
        if (!c->engine.idle()) fail(fmt("core %llu's operation never finished", c->id));
    }
    // The owners' records of what they carved match the live objects exactly:
    // a delete of the last copy gave the memory back, nothing leaked.
    std::vector<Object> live, carved;
    for (const auto& c : cores) {
        for (const Object& o : c->copies)
            if (std::find(live.begin(), live.end(), o) == live.end()) live.push_back(o);
        carved.insert(carved.end(), c->carved.begin(), c->carved.end());
        for (const Object& o : c->carved)
            if (c->map.owner(c->map.chunk_of(o.base)) != c->id)
                fail(fmt("core %llu records an object at %#llx in a chunk it does not own", c->id, o.base));
    }
    auto order = [](const Object& a, const Object& b) { return a.base != b.base ? a.base < b.base : a.bytes < b.bytes; };
    std::sort(live.begin(), live.end(), order);
    std::sort(carved.begin(), carved.end(), order);
    if (live != carved)
        fail(fmt("%llu live objects but owners record %llu carved", live.size(), carved.size()));
}

std::string World::run() {
    for (now = 0; now < cfg.step_bound && failure_.empty(); ++now) {
        for (auto& c : cores) {
            if (c->running && c->engine.idle()) c->running = false;
            const CoordinatorState before = c->engine.state();
            c->engine.poll(now);  // a retry prepares locally
            if (c->engine.state() != before) check_step(c->id);
        }
        // Idle cores issue work now and then, all cores keep going until done.
        for (auto& c : cores)
            if (!c->running && c->engine.idle() && issued_[c->id] < cfg.ops_per_core && rng.chance(20)) {
                issue(*c);
                check_step(c->id);
                if (!failure_.empty()) break;
            }
        // A few deliveries per step (the network is faster than the
        // workload), each followed by the invariant checks.
        deliver(3);
        check_pending();  // also when nothing moves: a deadlock shows here
        bool all_issued = true;
        for (auto& c : cores) all_issued &= issued_[c->id] >= cfg.ops_per_core;
        if (all_issued && quiet()) break;
    }
    if (failure_.empty() && !quiet()) fail(fmt("not quiet after %llu steps", now));
    if (failure_.empty()) check_quiet();
    for (auto& c : cores) {
        committed += c->engine.stats().committed;
        refused += c->engine.stats().refused;
        retries += c->engine.stats().retries;
    }
    return failure_.empty() ? std::string() : failure_ + " (step " + std::to_string(now) + ")";
}

}  // namespace sim
