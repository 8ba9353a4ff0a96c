// Memory across cores (docs/monitor.md, "Memory"): each monitor serves
// allocations from its own pool of 1 MiB chunks without talking to anyone;
// the map of who owns which chunk is replicated in every monitor and changes
// only through the agreement protocol (lib/agree), when a monitor that ran
// dry moves a chunk from another core's pool into its own.
//
// At boot each monitor cuts its RAM into a general block (its own objects:
// channels, the programs' start-up grants) and 1 MiB chunks, then deletes the
// RAM capability they came from, so each chunk's capability is the only
// thing covering its memory on this core: a chunk that moves away leaves
// nothing behind, and one that comes back can be made again.
#include <new>

#include "agree/engine.hpp"
#include "agree/ownership.hpp"
#include "agree/pieces.hpp"
#include "agree/router.hpp"
#include "boot/cmdline.hpp"
#include "monitor.hpp"
#include "user/syscall.hpp"

namespace mk::monitor {
namespace {

using namespace mk::user;

constexpr u32 kChunkLog2 = 20;
constexpr u64 kChunkBytes = u64{1} << kChunkLog2;
constexpr u32 kMapChunks = agree::OwnershipMap::kMaxChunks;  // 4 GiB: the direct-mapped memory
constexpr u32 kMaxPoolChunks = 192;

// ---- The pool: the ownership map and the chunk capabilities held here ----

class Pool final : public agree::Application {
public:
    Pool(u8 self, u8 cores) : map(self, cores, 0, kChunkBytes, kMapChunks), chunk_slots_(abi::kSlotCNode) {
        for (u32 c = 0; c < kMapChunks; ++c) (void)map.assign(c, agree::kNoCore);
    }

    agree::OwnershipMap map;
    u32 cap[kMapChunks] = {};  // this core's capability for each chunk it owns, 0 for none
    u32 moved_in = 0, moved_out = 0, refused = 0;
    bool fetching = false;

    Result<u32> chunk_slot() {
        auto s = chunk_slots_.next();
        return s.ok() ? s : g_self.slots->next();
    }

    bool well_formed(const agree::Op& op) const override { return map.well_formed(op); }
    usize claims(const agree::Op& op, agree::Claim (&out)[agree::kMaxClaims]) const override { return map.claims(op, out); }
    agree::Vote prepare(const agree::Op& op) override { return map.prepare(op); }
    u16 answer(const agree::Op& op) const override { return map.answer(op); }
    void abort(const agree::Op& op) override { map.abort(op); }

    // Every replica records the new owner; the two ends move the capability.
    void commit(const agree::Op& op, u16 answers) override {
        map.commit(op, answers);
        agree::ChunkMove m;
        if (!agree::decode(op, &m)) return;
        for (u32 c = m.first; c < m.first + m.count; ++c) {
            if (m.from == g_self.core && cap[c] != 0) {
                (void)remove(cap[c]);
                cap[c] = 0;
                ++moved_out;
            }
            if (m.to == g_self.core) {
                auto slot = chunk_slot();
                Error e = slot.ok() ? invoke(kKernel, abi::kKernelCapCreate, *slot,
                                             u64(CapType::Ram) | (u64{kAllRights} << 8) | abi::kCapMoved,
                                             map.address_of(c), kChunkBytes).error
                                    : slot.error();
                if (e == Error::Ok) {
                    cap[c] = *slot;
                    ++moved_in;
                } else {
                    printf("chunk %u moved here but its capability could not be made: %s", c, error_name(e));
                }
            }
        }
    }

    void finished(const agree::Op&, agree::Outcome outcome) override {
        fetching = false;
        if (outcome == agree::Outcome::Refused) ++refused;
    }

private:
    SlotAllocator chunk_slots_;
};

alignas(Pool) u8 g_pool_storage[sizeof(Pool)];
Pool* g_pool = nullptr;
// The pieces handed out of the pool's chunks (lib/agree/pieces.hpp).
alignas(agree::PiecePool) u8 g_pieces_storage[sizeof(agree::PiecePool)];
agree::PiecePool* g_pieces = nullptr;

// ---- The engine and its network: the mesh ----

u32 g_sent[kMaxCores], g_received[kMaxCores];  // agreement messages, by peer

// Messages wait here when a peer's channel is full, in order: the engine
// needs per-channel FIFO and nothing else from the network.
class MeshNetwork final : public agree::Network {
public:
    void send(u8 to, const agree::Message& m) override {
        if (to >= kMaxCores) return;
        Queue& q = queues_[to];
        if (q.count == kQueue) {
            printf("agreement: queue to core %u overflows; a message is lost", to);
            return;
        }
        q.items[(q.head + q.count) % kQueue] = m;
        ++q.count;
        flush(to);
    }

    void flush_all() {
        for (u32 to = 0; to < g_self.cores; ++to) flush(to);
    }

    u32 queued(u32 to) const { return queues_[to].count; }

    bool empty() const {
        for (u32 to = 0; to < g_self.cores; ++to) {
            if (queues_[to].count != 0) return false;
        }
        return true;
    }

private:
    static constexpr u32 kQueue = 64;
    struct Queue {
        agree::Message items[kQueue];
        u32 head = 0, count = 0;
    };

    void flush(u32 to) {
        Queue& q = queues_[to];
        while (q.count != 0 && send_agreement(to, q.items[q.head]).ok()) {
            ++g_sent[to];
            q.head = (q.head + 1) % kQueue;
            --q.count;
        }
    }

    Queue queues_[kMaxCores];
};

MeshNetwork g_net;
agree::Router g_router;
alignas(agree::Engine) u8 g_engine_storage[sizeof(agree::Engine)];
agree::Engine* g_engine = nullptr;
u32 g_fetch_cursor = kMapChunks - 1;

u64 now() { return rdtsc() / (frame().tsc_hz / 100000 + 1); }  // 10 us units, the scale of Engine::backoff

// Cuts one RAM capability over [base, base + bytes) into chunks, leaving out
// [skip_begin, skip_end) (the general block, if it lies inside), then deletes
// it: the pieces become independent.
Status carve_chunks(u32 ram, PhysAddr base, u64 bytes, PhysAddr skip_begin, PhysAddr skip_end) {
    for (PhysAddr a = align_up(base, kChunkBytes); a + kChunkBytes <= base + bytes; a += kChunkBytes) {
        if (g_pool->map.owned_count(static_cast<u8>(g_self.core)) >= kMaxPoolChunks) break;
        if (a < skip_end && skip_begin < a + kChunkBytes) continue;
        auto slot = g_pool->chunk_slot();
        if (!slot.ok()) break;
        if (Error e = retype(ram, CapType::Ram, kChunkLog2, 1, a - base, *slot); e != Error::Ok) return e;
        u32 c = static_cast<u32>(a >> kChunkLog2);
        g_pool->cap[c] = *slot;
        (void)g_pool->map.assign(c, static_cast<u8>(g_self.core));
    }
    if (Error e = remove(ram); e != Error::Ok) return e;
    return {};
}

// The general block comes from the largest RAM capability the CPU driver
// gave: the largest naturally aligned block of 32, 16, 8 or 4 MiB that fits
// there. Everything else becomes chunks.
Result<u32> carve(u32& general_log2) {
    constexpr u32 kGrants = 16;
    abi::CapIdentity grants[kGrants] = {};
    u32 largest = kGrants;
    for (u32 i = 0; i < kGrants; ++i) {
        if (identify(abi::cap_address(abi::kRamCNode, i), grants[i]) != Error::Ok) continue;
        if (largest == kGrants || grants[i].bytes > grants[largest].bytes) largest = i;
    }
    if (largest == kGrants) return Error::NoMemory;
    const u32 ram = abi::cap_address(abi::kRamCNode, largest);
    const PhysAddr base = grants[largest].base;
    const u64 bytes = grants[largest].bytes;
    u64 offset = 0;
    for (general_log2 = 25; general_log2 > 22; --general_log2) {
        u64 size = u64{1} << general_log2;
        offset = align_up(base, size) - base;
        if (offset + size <= bytes) break;
    }
    u64 size = u64{1} << general_log2;
    offset = align_up(base, size) - base;
    if (offset + size > bytes) return Error::NoMemory;
    u32 general = TRY(g_self.slots->next());
    if (Error e = retype(ram, CapType::Ram, general_log2, 1, offset, general); e != Error::Ok) return e;
    for (u32 i = 0; i < kGrants; ++i) {
        if (grants[i].bytes == 0) continue;
        PhysAddr skip = i == largest ? base + offset : 0;
        TRY_STATUS(carve_chunks(abi::cap_address(abi::kRamCNode, i), grants[i].base, grants[i].bytes, skip,
                                i == largest ? skip + size : 0));
    }
    return general;
}

}  // namespace

Result<u32> init_memory(u32& general_log2) {
    g_pool = new (g_pool_storage) Pool(static_cast<u8>(g_self.core), static_cast<u8>(g_self.cores));
    g_pieces = new (g_pieces_storage) agree::PiecePool(g_pool->map);
    u32 general = TRY(carve(general_log2));
    boot::CommandLine cmdline(frame().cmdline);
    char shape[8] = {};
    (void)cmdline.get("agree", shape, sizeof shape);
    auto cores = static_cast<u8>(g_self.cores);
    agree::Topology topology = shape[0] == 't' ? agree::Topology::tree(cores, 2) : agree::Topology::flat(cores);
    g_router.route(agree::kFamilyOwnership, *g_pool);
    register_bench_family(g_router);
    register_cap_family(g_router);
    register_names_family(g_router);
    g_engine = new (g_engine_storage) agree::Engine(static_cast<u8>(g_self.core), topology, g_net, g_router);
    return general;
}

void announce_pool() {
    for (u32 c = 0; c < kMapChunks;) {
        if (g_pool->map.owner(c) != g_self.core) {
            ++c;
            continue;
        }
        u32 first = c;
        while (c < kMapChunks && g_pool->map.owner(c) == g_self.core) ++c;
        for (u32 to = 0; to < g_self.cores; ++to) {
            if (to != g_self.core) (void)send_pool_announce(to, first, c - first);
        }
    }
}

void record_pool(u32 core, u32 first, u32 count) {
    if (core >= g_self.cores || core == g_self.core || first >= kMapChunks || count > kMapChunks - first) return;
    for (u32 c = first; c < first + count; ++c) (void)g_pool->map.assign(c, static_cast<u8>(core));
}

Status pool_sizes(idl::List<u32, 64>& chunks, u64& chunk_bytes) {
    chunks.size = 0;
    for (u32 core = 0; core < g_self.cores; ++core) TRY_STATUS(chunks.push(g_pool->map.owned_count(static_cast<u8>(core))));
    chunk_bytes = kChunkBytes;
    return {};
}

u32 pool_chunks() { return g_pool->map.owned_count(static_cast<u8>(g_self.core)); }

void agreement_received(const agree::Message& m) {
    if (m.from < kMaxCores) ++g_received[m.from];
    agree::Receipt r = g_engine->receive(m);
    if (r != agree::Receipt::Accepted && r != agree::Receipt::Duplicate && r != agree::Receipt::Stale) {
        printf("agreement: a %s from core %u refused: %s (coordinator %u seq %u attempt %u)", agree::kind_name(m.kind), m.from,
               agree::receipt_name(r), m.coordinator, m.seq, m.attempt);
    }
}

void dump_agreement(const char* why) {
    const agree::Engine& e = *g_engine;
    printf("agreement state (%s): coordinator %s attempt %u fetching %d clock %lu now %lu", why,
           e.state() == agree::CoordinatorState::Idle ? "idle" : e.state() == agree::CoordinatorState::Running ? "running" : "backoff",
           e.attempt(), g_pool->fetching ? 1 : 0, e.clock(), now());
    for (u32 c = 0; c < g_self.cores; ++c) {
        const agree::Slot& s = e.slot(static_cast<u8>(c));
        if (s.phase == agree::Phase::Idle && !s.locked) continue;
        printf("  slot of %u: %s locked %d vote_sent %d ack_sent %d attempt %u seq %u votes_pending %lx acks_pending %lx",
               c, agree::phase_name(s.phase), s.locked, s.vote_sent, s.ack_sent, s.attempt, s.seq, s.votes_pending,
               s.acks_pending);
    }
    for (u32 to = 0; to < g_self.cores; ++to) {
        if (g_net.queued(to) != 0) printf("  %u messages queued for core %u", g_net.queued(to), to);
    }
}

void serve_agreement() {
    g_engine->poll(now());
    g_net.flush_all();
    // A watchdog: an engine that stays busy this long is stuck; say how, once.
    static u64 busy_since = 0;
    static bool reported = false;
    if (!g_engine->busy()) {
        busy_since = 0;
        reported = false;
    } else if (busy_since == 0) {
        busy_since = rdtsc();
    } else if (!reported && rdtsc() - busy_since > 5 * frame().tsc_hz) {
        reported = true;
        dump_agreement("busy for 5 s");
        print_traffic();
        print_channel_stats();
    }
}

Status start_agreement(const agree::Op& op) { return g_engine->start(op); }

agree::Engine& agreement_engine() { return *g_engine; }

Status wait_for_agreement() {
    u64 until = deadline();
    while (!g_engine->idle()) {
        if (rdtsc() > until) return Error::Timeout;
        serve_all();
        if (!g_engine->idle()) idle_wait();
    }
    return {};
}

Status move_one_chunk_here() {
    for (u32 attempt = 0; attempt < 64; ++attempt) {
        u32 moved_before = g_pool->moved_in;
        u32 c = kMapChunks;
        for (u32 tried = 0; tried < kMapChunks && c == kMapChunks; ++tried) {
            u32 k = (g_fetch_cursor + kMapChunks - tried) % kMapChunks;
            u8 owner = g_pool->map.owner(k);
            if (owner != agree::kNoCore && owner != g_self.core) c = k;
        }
        if (c == kMapChunks) return Error::NoMemory;
        g_fetch_cursor = (c + kMapChunks - 1) % kMapChunks;
        if (!g_engine->idle()) return Error::Busy;
        TRY_STATUS(g_engine->start(agree::encode(agree::ChunkMove{c, 1, g_pool->map.owner(c), static_cast<u8>(g_self.core)})));
        g_pool->fetching = true;
        u64 until = deadline();
        while (g_pool->fetching) {
            if (rdtsc() > until) return Error::Timeout;
            serve_all();
        }
        if (g_pool->moved_in > moved_before) return {};
    }
    return Error::NoMemory;
}

bool agreement_quiet() { return g_engine->idle() && !g_engine->busy() && g_net.empty(); }

Result<Allocation> alloc_ram(u32 size_log2, u8 tag) {
    static u32 piece_slot = 0;  // the caller removes each piece after placing it
    if (size_log2 < 12 || size_log2 > kChunkLog2) return Error::OutOfRange;
    // The local fast path: a piece of a chunk of our own, no messages.
    auto piece = g_pieces->allocate(size_log2, tag);
    if (piece.ok()) {
        const u32 chunk_cap = g_pool->cap[piece->chunk];
        if (size_log2 == kChunkLog2) return Allocation{chunk_cap, false};  // a whole chunk: a copy of ours
        if (piece_slot == 0) piece_slot = TRY(g_self.slots->next());
        const u64 offset = piece->base - g_pool->map.address_of(piece->chunk);
        Error e = retype(chunk_cap, CapType::Ram, size_log2, 1, offset, piece_slot);
        // A chunk capability marked as having remote copies (a program sent
        // the whole chunk it was given) refuses a plain retype; the pool's
        // records say nothing on any core holds this piece, which is what an
        // agreed retype needs to know.
        if (e == Error::Busy) {
            e = invoke(kKernel, abi::kKernelRetypeAgreed, chunk_cap, u64(CapType::Ram) | (u64{size_log2} << 8), offset,
                       piece_slot).error;
        }
        if (e != Error::Ok) {
            // The piece stays handed out: something here covers memory the pool thinks free.
            printf("piece %lx+%lx could not be made: %s", piece->base, piece->bytes, error_name(e));
            return e;
        }
        return Allocation{piece_slot, true};
    }
    if (piece.error() != Error::NoMemory) return piece.error();
    // Dry: move a chunk from another core's pool (agreed), and ask the caller to come back.
    if (g_pool->fetching || !g_engine->idle()) {
        static u32 busy = 0;
        if (++busy % 200000 == 0) dump_agreement("allocRam busy");
        return Error::Busy;
    }
    // Owners hand out their lowest chunks first, so ask for high ones, from
    // where the last request left off: a refusal (chunk in use) moves on.
    for (u32 tried = 0; tried < kMapChunks; ++tried) {
        u32 c = (g_fetch_cursor + kMapChunks - tried) % kMapChunks;
        u8 owner = g_pool->map.owner(c);
        if (owner == agree::kNoCore || owner == g_self.core) continue;
        g_fetch_cursor = (c + kMapChunks - 1) % kMapChunks;
        Status s = g_engine->start(agree::encode(agree::ChunkMove{c, 1, owner, static_cast<u8>(g_self.core)}));
        if (!s.ok()) return s.error();
        g_pool->fetching = true;
        return Error::Busy;
    }
    return Error::NoMemory;
}

void print_traffic() {
    char line[256];
    usize n = 0;
    for (u32 c = 0; c < g_self.cores && n + 24 < sizeof line; ++c) {
        u32 s = g_sent[c], r = g_received[c];
        char buf[24];
        usize k = 0;
        auto put = [&](u32 v) {
            char d[12];
            usize m = 0;
            do d[m++] = static_cast<char>('0' + v % 10); while ((v /= 10) != 0);
            while (m > 0) buf[k++] = d[--m];
        };
        put(c); buf[k++] = ':'; put(s); buf[k++] = '/'; put(r); buf[k++] = ' ';
        for (usize i = 0; i < k; ++i) line[n++] = buf[i];
    }
    line[n] = '\0';
    printf("agreement traffic (core: sent/received) %s", line);
}

u64 count_in_range_here(u64 base, u64 bytes) {
    SyscallResult r = invoke(kKernel, abi::kKernelCountInRange, base, bytes);
    return r.error == Error::Ok ? r.value : ~u64{0};  // malformed: count it as held, never as free
}

u32 pool_copies(u64 base, u64 bytes) {
    const u32 c = g_pool->map.chunk_of(base);
    return bytes == kChunkBytes && c < kMapChunks && base == g_pool->map.address_of(c) && g_pool->cap[c] != 0 ? 1 : 0;
}

u8 memory_owner(u64 base) { return g_pool->map.owner(g_pool->map.chunk_of(base)); }
bool piece_handed_out(u64 base, u64 bytes) { return g_pieces->handed_out(base, bytes); }
bool give_back_piece(u64 base, u64 bytes) { return g_pieces->give_back(base, bytes).ok(); }
void mark_piece_shared(u64 addr) { (void)g_pieces->mark_shared(addr); }
bool piece_shared(u64 addr) { return g_pieces->shared(addr); }

PoolState pool_state(u8 storm_tag) {
    PoolState s{};
    s.outstanding = g_pieces->outstanding();
    s.storm_outstanding = storm_tag == 0 ? 0 : g_pieces->outstanding(storm_tag);
    s.given_back = static_cast<u32>(g_pieces->given_back());
    s.reused = static_cast<u32>(g_pieces->reused());
    // Free memory of the pool that a capability here still covers would be
    // handed out twice: none may (a free whole chunk has only its pool capability).
    g_pieces->for_each_free([&s](PhysAddr base, u64 bytes) {
        if (count_in_range_here(base, bytes) != pool_copies(base, bytes)) {
            ++s.held_free;
            printf("pool: free memory %lx+%lx is covered by a capability here", base, bytes);
        }
    });
    return s;
}

MemoryState memory_state() {
    MemoryState s{};
    s.digest = g_pool->map.digest();
    s.owned = g_pool->map.owned_count(static_cast<u8>(g_self.core));
    s.moved_in = g_pool->moved_in;
    s.moved_out = g_pool->moved_out;
    s.consistent = true;
    for (u32 c = 0; c < kMapChunks; ++c) {
        bool owned = g_pool->map.owner(c) == g_self.core;
        if (g_pool->cap[c] != 0) ++s.held;
        if (owned != (g_pool->cap[c] != 0)) s.consistent = false;
        if (g_pool->cap[c] == 0) continue;
        abi::CapIdentity id{};
        if (identify(g_pool->cap[c], id) != Error::Ok || id.type != u64(CapType::Ram) ||
            id.base != g_pool->map.address_of(c) || id.bytes != kChunkBytes) {
            s.consistent = false;
        }
    }
    s.retries = static_cast<u32>(g_engine->stats().retries);
    s.refused = g_pool->refused;
    return s;
}

}  // namespace mk::monitor
