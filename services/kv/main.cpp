// kv: the tutorial service (docs/tutorial-new-service.md). A map from keys to
// values with a replica on every core; every update is agreed by all
// replicas and applied by each in the same order (lib/svc), reads are local.
// The interface is idl/kv.capnp; this file is the whole service.
#include "kv.urpc.hpp"
#include "svc/service.hpp"

using namespace mk;
namespace kvi = mk::idl::kv;

namespace {

enum Action : u8 { kPut = 1, kAdd = 2 };

// The replicated state: an open-addressing table. Deterministic: the same
// updates in the same order leave every replica with the same table.
class Map final : public svc::StateMachine {
public:
    static constexpr u32 kSlots = 4096;

    bool valid(const svc::Update& u) const override { return u.action == kPut || u.action == kAdd; }
    // A new key needs room; the replicas agree on that too.
    bool acceptable(const svc::Update& u) const override { return find(u.arg[0]) != nullptr || keys < kSlots / 2; }

    void apply(const svc::Update& u, u8 origin, u32 ticket) override {
        Entry* e = find(u.arg[0]);
        if (e == nullptr) {
            e = insert(u.arg[0]);
            ++keys;
        }
        sum -= e->value;
        e->value = u.action == kPut ? u.arg[1] : e->value + u.arg[1];
        sum += e->value;
        ++applied;
        if (mine(origin)) results[ticket % kResults] = {ticket, applied, e->value};
    }

    struct Entry {
        bool used;
        u64 key, value;
    };
    Entry* find(u64 key) const {
        for (u32 i = 0, h = hash(key); i < kSlots; ++i, h = (h + 1) % kSlots) {
            if (!table[h].used) return nullptr;
            if (table[h].key == key) return const_cast<Entry*>(&table[h]);
        }
        return nullptr;
    }

    // What this replica's own updates came to, by ticket.
    struct Result {
        u32 ticket;
        u64 seq, value;
    };
    static constexpr u32 kResults = 64;
    Result results[kResults] = {};
    u32 keys = 0;
    u64 applied = 0, sum = 0;

private:
    static u32 hash(u64 key) { return static_cast<u32>(svc::mix64(key) % kSlots); }
    Entry* insert(u64 key) {
        u32 h = hash(key);
        while (table[h].used) h = (h + 1) % kSlots;
        table[h] = {true, key, 0};
        return &table[h];
    }
    Entry table[kSlots] = {};
};

Map g_map;

svc::Host* g_service = nullptr;  // the replica running these handlers

// The handlers: one per method of idl/kv.capnp.
struct Kv {
    Status put(const kvi::Kv::PutParams& p, kvi::Kv::PutResults& r) {
        u32 t = TRY(g_service->propose_and_wait({kPut, {p.key, p.value, 0}}));
        r.seq = g_map.results[t % Map::kResults].seq;
        return {};
    }
    Status add(const kvi::Kv::AddParams& p, kvi::Kv::AddResults& r) {
        u32 t = TRY(g_service->propose_and_wait({kAdd, {p.key, p.delta, 0}}));
        r.value = g_map.results[t % Map::kResults].value;
        r.seq = g_map.results[t % Map::kResults].seq;
        return {};
    }
    Status get(const kvi::Kv::GetParams& p, kvi::Kv::GetResults& r) {
        const Map::Entry* e = g_map.find(p.key);
        r.found = e != nullptr;
        r.value = e != nullptr ? e->value : 0;
        return {};
    }
    Status summary(const kvi::Kv::SummaryParams&, kvi::Kv::SummaryResults& r) {
        r.applied = g_map.applied;
        r.digest = g_service->state()->digest();
        r.keys = g_map.keys;
        r.sum = g_map.sum;
        return {};
    }
};

Kv g_kv;
using Server = kvi::KvServer<Kv, urpc::Endpoint>;

}  // namespace

extern "C" int domain_main(u32, u32) {
    static svc::Service<Server, Kv> service("kv", g_kv);
    g_service = &service;
    service.replicate(g_map);
    return service.run();
}
