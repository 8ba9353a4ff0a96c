// The simulation's machine: workload, network, the capability tables and
// the invariant checks (docs/agreement.md, "Simulation").
#include "world.hpp"

#include "caps/verify.hpp"

namespace sim {

namespace {

constexpr PhysAddr kBase = 0x10000000;
constexpr u64 kChunkBytes = 0x10000;  // 64 KiB: a power of two, so a whole chunk is one RAM object
// Each core's CNode lives at a pretend physical address far from the
// simulated RAM, so no RAM capability ever overlaps it.
constexpr PhysAddr kCNodeBase = 0x400000000;
constexpr u64 kCNodeStride = 0x100000;

std::string fmt(const char* f, unsigned long long a = 0, unsigned long long b = 0, unsigned long long c = 0,
                unsigned long long d = 0) {
    char buf[256];
    std::snprintf(buf, sizeof buf, f, a, b, c, d);
    return buf;
}

bool in_ram(const caps::Capability& c) {
    return caps::is_memory_type(c.type) && c.base >= kBase && c.base < kBase + OwnershipMap::kMaxChunks * kChunkBytes;
}

// Capabilities sorted by object (type-blind extent first), so copies are
// adjacent and overlaps show between neighbours.
bool by_extent(const Held& a, const Held& b) {
    if (a.cap.base != b.cap.base) return a.cap.base < b.cap.base;
    if (a.cap.bytes != b.cap.bytes) return a.cap.bytes > b.cap.bytes;
    if (a.cap.type != b.cap.type) return a.cap.type < b.cap.type;
    return a.core < b.core;
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

// ---- One core ----

Core::Core(World& w, u8 i, u8 n, const Topology& topo, PhysAddr base, u64 chunk_bytes, u32 chunks)
    : world(w),
      id(i),
      map(i, n, base, chunk_bytes, chunks),
      slots_(new caps::Cte[kSlots]),
      table(uptr(slots_.get()) - (kCNodeBase + i * kCNodeStride)),
      participant(i, *this),
      caps_app(n, participant),
      pool(*this, map),
      engine(i, topo, *this, router) {
    router.route(kFamilyOwnership, pool);
    router.route(kFamilyCaps, caps_app);
    if (!table.create_root(cnode, caps::Capability::cnode(kCNodeBase + i * kCNodeStride, kSlots)).ok())
        world.fail(fmt("core %llu: its CNode could not be made", i));
}

void Core::send(u8 to, const Message& m) {
    world.post(id, to, m, world.now + 1 + world.rng.below(world.cfg.max_delay), false);
}

u32 Core::find(caps::CapType type, PhysAddr base, u64 bytes) const {
    const caps::Capability like = caps::Capability::memory(type, base, bytes, caps::Rights::All);
    for (u32 i = 0; i < kSlots; ++i)
        if (!slots_[i].empty() && caps::same_object(slots_[i].cap(), like)) return i;
    return kSlots;
}

u32 Core::free_slot() const {
    for (u32 i = 0; i < kSlots; ++i)
        if (slots_[i].empty()) return i;
    return kSlots;
}

void Core::make_chunk_cap(u32 chunk) {
    const u32 s = free_slot();
    const Status made = s < kSlots ? table.create_root(slots_[s], caps::Capability::ram(map.address_of(chunk),
                                                                                         map.chunk_bytes()))
                                   : Status(Error::Full);
    if (!made.ok())
        world.fail(fmt("core %llu: the capability of chunk %llu could not be made (%s)", id, chunk) +
                   error_name(made.error()));
    world.caps_changed = world.caps_added = true;
}

bool Core::chunk_free(u32 chunk) const {
    const u32 s = chunk_cap(chunk);
    if (s == kSlots) return true;
    auto info = table.identify(slots_[s]);
    return info.ok() && !info->local_descendants && !caps::has_any(info->cap.remote, caps::Remote::Descendants);
}

bool Core::range_in_use(PhysAddr base, u64 bytes) { return table.range_in_use(base, bytes); }

// This core's part of an agreed revoke, as Kernel.removeObject does it.
// Then the pool: a chunk this core owns whose capability went with it gets
// it back (nothing anywhere is made from the memory once every core has
// applied the revoke, which the operation's claim orders before anything
// else touching the range).
u64 Core::remove_object(caps::CapType type, PhysAddr base, u64 bytes) {
    const caps::Capability like = caps::Capability::memory(type, base, bytes, caps::Rights::All);
    if (!caps::well_formed(like)) return 0;
    const u64 removed = table.remove_object(like);
    world.caps_removed += removed;
    world.caps_changed = true;
    // No descendant survives: nothing of the object's range is left here.
    const caps::Extent range = caps::extent_of(like);
    each([&](const caps::Capability& c) {
        if (caps::contains(range, caps::extent_of(c)))
            world.fail(fmt("core %llu kept %#llx+%#llx after a revoke of ", id, c.base, c.bytes) +
                       fmt("%#llx+%#llx", base, bytes));
    });
    for (u32 k = map.chunk_of(base); k < map.chunks() && map.address_of(k) < base + bytes; ++k)
        if (map.owner(k) == id && chunk_cap(k) == kSlots) make_chunk_cap(k);
    return removed;
}

// The issuer can make the object if it owns the chunk, has taken it for
// capabilities, and holds the chunk's RAM capability to make it from.
bool Core::can_make(const CapOp& op) {
    const u32 k = map.chunk_of(op.base);
    if (k >= map.chunks() || map.chunk_of(op.base + op.bytes - 1) != k) return false;
    return map.usable(k) && map.in_use(k) && chunk_cap(k) < kSlots && free_slot() < kSlots;
}

// The issuer's commit: the real retype, from the chunk's RAM capability
// (marked with its remote descendants when copies leave this core), then
// the new object marked as having remote copies, as Kernel.markRemote does
// before a capability is sent. An issuer that is no holder drops its copy.
void Core::make(const CapOp& op) {
    const u32 k = map.chunk_of(op.base);
    const u32 src = k < map.chunks() ? chunk_cap(k) : kSlots;
    const u32 dest = free_slot();
    if (src == kSlots || dest == kSlots) {
        world.fail(fmt("core %llu: agreed retype at %#llx committed without its source", id, op.base));
        return;
    }
    caps::RetypeArgs args;
    args.offset = op.base - map.address_of(k);
    args.type = op.type;
    args.object_size = op.bytes;
    args.count = 1;
    args.first_slot = dest;
    args.remote_agreed = true;
    const Status s = table.retype(slots_[src], args, cnode);
    if (!s.ok()) {
        world.fail(fmt("core %llu: agreed retype of %#llx+%#llx failed at commit: ", id, op.base, op.bytes) +
                   error_name(s.error()));
        return;
    }
    ++world.caps_made;
    world.caps_changed = world.caps_added = true;
    const u64 others = op.holders & ~(u64(1) << id);
    if (others != 0) {
        (void)table.set_remote(slots_[src], slots_[src].cap().remote | caps::Remote::Descendants);
        (void)table.set_remote(slots_[dest], slots_[dest].cap().remote | caps::Remote::Copies);
    }
    if (!(op.holders >> id & 1)) {
        auto out = table.delete_cap(slots_[dest]);
        if (!out.ok() || out->kind != caps::DeleteKind::LastLocalCopy)
            world.fail(fmt("core %llu: the issuer's copy of %#llx, sent away, was not a last local copy", id,
                           op.base));
    }
}

// A holder's commit: the copy that crossed cores, made as Kernel.capCreate
// makes it (a root, marked Remote::Copies).
void Core::receive(const CapOp& op) {
    caps::Capability c = caps::Capability::memory(op.type, op.base, op.bytes, caps::Rights::All);
    c.remote = caps::Remote::Copies;
    const u32 dest = free_slot();
    const Status s = dest < kSlots ? table.create_root(slots_[dest], c) : Status(Error::Full);
    if (!s.ok()) {
        world.fail(fmt("core %llu: the copy of %#llx+%#llx could not be installed: ", id, op.base, op.bytes) +
                   error_name(s.error()));
        return;
    }
    ++world.caps_made;
    world.caps_changed = world.caps_added = true;
}

Result<bool> Core::holds(caps::CapType type, PhysAddr base, u64 bytes) { return find(type, base, bytes) < kSlots; }

void Core::delete_copy(const CapOp& op) {
    const u32 s = find(op.type, op.base, op.bytes);
    if (s == kSlots) {
        world.fail(fmt("core %llu: DeleteLast of %#llx committed without its copy", id, op.base));
        return;
    }
    auto out = table.delete_cap(slots_[s]);
    if (!out.ok()) world.fail(fmt("core %llu: delete of %#llx failed", id, op.base));
    ++world.caps_removed;
    world.caps_changed = true;
}

// The last copy anywhere is gone. Checked where the issuer applies it (the
// coordinator commits first, and the operation's claim keeps everything
// else touching the range waiting): no core holds the object, and no core
// has anything in its range, so the chunk's owner can make it again.
void Core::last_copy_gone(const CapOp& op) {
    if (op.issuer != id) return;
    ++world.last_deletes;
    if (world.held_anywhere(op.type, op.base, op.bytes))
        world.fail(fmt("DeleteLast of %#llx+%#llx said 'last' but a copy survives", op.base, op.bytes));
    for (const auto& c : world.cores)
        if (c->table.range_in_use(op.base, op.bytes))
            world.fail(fmt("core %llu still uses %#llx+%#llx after its last copy went", c->id, op.base, op.bytes));
}

Vote Pool::prepare(const Op& op) {
    core_.map_changed = true;  // a Yes pledges the chunks
    return map_.prepare(op);
}

void Pool::abort(const Op& op) {
    core_.map_changed = true;
    map_.abort(op);
}

void Pool::commit(const Op& op, u16 answers) {
    core_.map_changed = true;
    map_.commit(op, answers);
    ChunkMove m;
    if (!decode(op, &m)) return;
    for (u32 k = m.first; k < m.first + m.count; ++k) {
        if (m.from == core_.id) {
            const u32 s = core_.chunk_cap(k);
            auto out = s < Core::kSlots ? core_.table.delete_cap(core_.slot(s)) : Result<caps::DeleteOutcome>(Error::NotFound);
            if (!out.ok() || out->kind != caps::DeleteKind::LastCopy)
                core_.world.fail(fmt("core %llu gave chunk %llu away but its capability was not the last copy",
                                     core_.id, k));
            core_.world.caps_changed = true;
        }
        if (m.to == core_.id) core_.make_chunk_cap(k);
    }
}

// ---- The world ----

World::World(const Config& c) : cfg(c), rng(c.seed) {
    cfg.chunks = std::min<u32>(cfg.chunks, OwnershipMap::kMaxChunks);
    for (u8 i = 0; i < cfg.cores; ++i)
        cores.push_back(std::make_unique<Core>(*this, i, cfg.cores, cfg.topo, kBase, kChunkBytes, cfg.chunks));
    // Boot: the same deal on every replica, chunks in runs of random length;
    // each owner makes the chunks' RAM capabilities.
    u8 owner = 0;
    for (u32 k = 0; k < cfg.chunks; ++k) {
        if (rng.chance(40)) owner = u8(rng.below(cfg.cores));
        for (auto& core : cores) (void)core->map.assign(k, owner);
        cores[owner]->make_chunk_cap(k);
    }
    queues_.resize(usize(cfg.cores) * cfg.cores);
    usable_.assign(usize(cfg.cores) * cfg.chunks, 0);
    usable_count_.assign(cfg.chunks, 0);
    issued_.assign(cfg.cores, 0);
}

void World::post(u8 from, u8 to, const Message& m, u64 ready_at, bool duplicate) {
    const u32 index = u32(from) * cfg.cores + to;
    auto& q = queues_[index];
    if (q.empty()) busy_queues_.push_back(index);
    else if (q.back().ready_at > ready_at) ready_at = q.back().ready_at;  // never overtake
    q.push_back({m, ready_at, duplicate});
}

void World::collect(std::vector<Held>& out) const {
    out.clear();
    for (const auto& c : cores)
        c->each([&](const caps::Capability& cap) {
            if (in_ram(cap)) out.push_back({c->id, cap});
        });
}

bool World::held_anywhere(caps::CapType type, PhysAddr base, u64 bytes) const {
    for (const auto& c : cores)
        if (c->find(type, base, bytes) < Core::kSlots) return true;
    return false;
}

// A chunk this core has taken for capabilities, taking one if it has none
// yet; chunks() if it owns nothing free.
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
    c.map_changed = true;  // ram_chunk may allocate too
    if (pick < 10) {  // local allocation or free: no agreement needed
        if (rng.chance(50)) {
            (void)map.allocate();
        } else {
            // Free only memory that is all back: nothing made from the
            // chunk lives here or elsewhere.
            const u32 k = u32(rng.below(n));
            if (map.in_use(k) && map.usable(k) && c.chunk_free(k)) (void)map.release(k);
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
    } else if (pick < 85) {  // revoke: a chunk of ours, or an object we hold a capability to
        std::vector<caps::Capability> held;
        c.each([&](const caps::Capability& cap) {
            if (in_ram(cap)) held.push_back(cap);
        });
        if (held.empty()) return;
        const caps::Capability& o = held[rng.below(held.size())];
        op = encode(CapOp{CapAction::Revoke, o.type, c.id, o.base, o.bytes, 0});
    } else {  // delete one of our copies
        std::vector<caps::Capability> frames;
        c.each([&](const caps::Capability& cap) {
            if (cap.type == caps::CapType::Frame) frames.push_back(cap);
        });
        if (frames.empty()) return;
        const caps::Capability& o = frames[rng.below(frames.size())];
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
    Core& c = *cores[touched];
    for (u32 k = 0; c.map_changed && k < n; ++k) {
        const u8 now_usable = c.map.usable(k);
        u8& was = usable_[touched * n + k];
        usable_count_[k] = u8(usable_count_[k] - was + now_usable);
        was = now_usable;
        if (usable_count_[k] > 1) fail(fmt("chunk %llu is owned by %llu cores at once", k, usable_count_[k]));
        if (c.map.in_use(k) && c.map.owner(k) != c.id)
            fail(fmt("core %llu uses chunk %llu that it does not own", c.id, k));
    }
    c.map_changed = false;
    if (!caps_changed) return;
    caps_changed = false;
    // lib/caps' own checker on the table that changed, against its CNode.
    const Span<const caps::Cte> arrays[] = {{&c.cnode, 1}, {&c.slot(0), Core::kSlots}};
    const caps::VerifyReport v = caps::verify(c.table, {arrays, 2}, true);
    if (!v.ok()) fail(fmt("core %llu's capability table is broken: ", c.id) + v.problem);
    // Across cores: no core holds one object twice (a double apply), and no
    // two distinct objects overlap unless one is the RAM the other was made
    // from (no retype overlap). Only a new capability can break that.
    if (!caps_added) return;
    caps_added = false;
    std::vector<Held>& live = live_;
    collect(live);
    std::sort(live.begin(), live.end(), by_extent);
    for (usize i = 1; i < live.size(); ++i) {
        const Held& a = live[i - 1];
        const Held& b = live[i];
        if (caps::same_object(a.cap, b.cap)) {
            if (a.core == b.core)
                fail(fmt("core %llu holds object %#llx+%#llx twice (applied twice?)", a.core, a.cap.base, a.cap.bytes));
            continue;
        }
        if (!caps::overlaps(caps::extent_of(a.cap), caps::extent_of(b.cap))) continue;
        // Sorted by base, larger first: b lies in a's memory. Only RAM may
        // have things inside it; a Frame holds nothing else.
        if (a.cap.type != caps::CapType::Ram || !caps::contains(caps::extent_of(a.cap), caps::extent_of(b.cap)))
            fail(fmt("retype overlap: core %llu's %#llx+%#llx and ", a.core, a.cap.base, a.cap.bytes) +
                 fmt("core %llu's %#llx+%#llx", b.core, b.cap.base, b.cap.bytes));
    }
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
        const Span<const caps::Cte> arrays[] = {{&c->cnode, 1}, {&c->slot(0), Core::kSlots}};
        const caps::VerifyReport v = caps::verify(c->table, {arrays, 2}, true);
        if (!v.ok()) fail(fmt("core %llu's capability table is broken: ", c->id) + v.problem);
    }
    const Core& any = *cores[0];
    std::vector<Held> live;
    collect(live);
    std::sort(live.begin(), live.end(), by_extent);
    for (usize i = 0; i < live.size(); ++i) {
        const Held& h = live[i];
        const u32 k = any.map.chunk_of(h.cap.base);
        const u8 owner = any.map.owner(k);
        const Core& o = *cores[owner];
        if (h.cap.type == caps::CapType::Ram) {
            // Each chunk's RAM capability is with its owner, and only there.
            if (h.core != owner || h.cap.base != any.map.address_of(k) || h.cap.bytes != kChunkBytes)
                fail(fmt("core %llu holds RAM %#llx+%#llx of chunk %llu, owned by core %llu", h.core, h.cap.base,
                         h.cap.bytes, k) + fmt(" (owner %llu)", owner));
            continue;
        }
        // Memory made from a chunk stays accounted with its owner: it is in
        // use there (so it cannot move), and the chunk's capability knows
        // of every descendant on another core.
        if (!o.map.in_use(k)) fail(fmt("%#llx+%#llx lives but chunk %llu is free at its owner", h.cap.base, h.cap.bytes, k));
        if (h.core != owner) {
            const u32 s = o.chunk_cap(k);
            if (s == Core::kSlots || !caps::has_any(o.slot(s).cap().remote, caps::Remote::Descendants))
                fail(fmt("chunk %llu's capability on core %llu does not know of %#llx on core %llu", k, owner,
                         h.cap.base, h.core));
        }
        // Copies on more than one core all say so, so that deleting one of
        // them is never taken for the end of the object.
        const bool shared = (i > 0 && caps::same_object(live[i - 1].cap, h.cap)) ||
                            (i + 1 < live.size() && caps::same_object(live[i + 1].cap, h.cap));
        if (shared && !caps::has_any(h.cap.remote, caps::Remote::Copies))
            fail(fmt("core %llu's copy of %#llx+%#llx does not know of the other copies", h.core, h.cap.base,
                     h.cap.bytes));
    }
    for (u32 k = 0; k < cfg.chunks; ++k)
        if (cores[any.map.owner(k)]->chunk_cap(k) == Core::kSlots)
            fail(fmt("chunk %llu has no capability on its owner, core %llu", k, any.map.owner(k)));
}

std::string World::run() {
    for (auto& c : cores) {  // the boot state of every table
        const Span<const caps::Cte> arrays[] = {{&c->cnode, 1}, {&c->slot(0), Core::kSlots}};
        const caps::VerifyReport v = caps::verify(c->table, {arrays, 2}, true);
        if (!v.ok()) fail(fmt("core %llu's capability table is broken at boot: ", c->id) + v.problem);
    }
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
