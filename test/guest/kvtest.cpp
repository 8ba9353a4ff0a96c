// The tutorial service under load (services/kv, docs/services/kv.md): every
// core's copy of this program hammers its own core's kv replica with updates
// at once (adds to eight shared counters, puts of keys of its own), so every
// replica proposes concurrently and the agreement engine orders them. Each
// update's latency (call to reply: agreed and applied on the local replica)
// is measured with the TSC. Then each copy waits until its replica has
// applied every core's updates and checks what it reads; core 0's copy
// connects to every replica, on every core, and requires the same number of
// updates and the same digest of their order from all of them (the KV line).
#include "check.hpp"
#include "base/sort.hpp"
#include "kv.urpc.hpp"
#include "svc/service.hpp"

using namespace mk;
using mk::guest_test::check;
using mk::guest_test::g_failed;
using mk::guest_test::g_passed;
namespace kvi = mk::idl::kv;

namespace {

constexpr u32 kWarmup = 4;       // updates before the measured ones (the service starting up)
constexpr u32 kMaxUpdates = 60;  // measured updates per core: half adds, half puts
constexpr u64 kCounters = 8;
constexpr u64 kOwnKeys = 1000;

// All updates of one service are ordered by one lock, so a run's length
// grows with the updates of all cores: about 240 in all, 16 to 60 per core.
u32 g_updates = kMaxUpdates;
u64 g_latency[kMaxUpdates];

u64 put_key(u32 core, u32 i) { return kOwnKeys + u64{core} * kMaxUpdates + i; }
u64 put_value(u32 core, u32 i) { return (u64{core} << 32) | i; }

Status summary(kvi::KvClient<urpc::Endpoint>& kv, kvi::Kv::SummaryResults& r) {
    auto id = kv.summary(&r);
    return id.ok() ? svc::wait(kv, *id) : Status(id.error());
}

// Waits until the replica behind `kv` has applied `total` updates.
Status wait_applied(kvi::KvClient<urpc::Endpoint>& kv, u64 total, kvi::Kv::SummaryResults& r) {
    u64 until = svc::rdtsc() + 60 * svc::tsc_hz();
    for (;;) {
        TRY_STATUS(summary(kv, r));
        if (r.applied >= total) return {};
        if (svc::rdtsc() > until) return Error::Timeout;
        for (int i = 0; i < 50; ++i) user::yield();
    }
}

}  // namespace

extern "C" int domain_main(u32 core, u32 cores) {
    u32 per_core = 240 / (cores == 0 ? 1 : cores);
    g_updates = per_core > kMaxUpdates ? kMaxUpdates : per_core < 16 ? 16 : per_core & ~1u;
    const u32 updates = g_updates;
    svc::Domain& d = svc::Domain::get();
    check(d.open().ok(), "a channel to the monitor");
    auto frame = d.connect("kv", core);
    check(frame.ok(), "a channel to this core's kv replica");
    if (!frame.ok()) {
        user::printf("connect: %s", error_name(frame.error()));
        user::printf("KVTEST core=%u passed=%d failed=%d", core, g_passed, g_failed);
        return 1;
    }
    urpc::Endpoint ep = urpc::Endpoint::init(**frame, urpc::Side::A);
    kvi::KvClient<urpc::Endpoint> kv(ep);

    // Warm-up: the first update waits for every replica to start and connect.
    u32 warm_ok = 0;
    for (u32 i = 0; i < kWarmup; ++i) {
        kvi::Kv::AddResults r{};
        auto id = kv.add(kCounters + core, 1, &r);
        if (id.ok() && svc::wait(kv, *id, 60).ok()) ++warm_ok;
    }
    check(warm_ok == kWarmup, "warm-up updates applied");
    if (warm_ok == 0) {  // no service: the rest would only wait
        user::printf("KVTEST core=%u passed=%d failed=%d", core, g_passed, g_failed);
        return 1;
    }

    u32 ok = 0;
    u64 last_seq = 0;
    bool ordered = true;
    for (u32 i = 0; i < updates; ++i) {
        u64 t0 = svc::rdtsc();
        Status s;
        u64 seq = 0;
        if (i % 2 == 0) {
            kvi::Kv::AddResults r{};
            auto id = kv.add(i / 2 % kCounters, 1, &r);
            s = id.ok() ? svc::wait(kv, *id, 30) : Status(id.error());
            seq = r.seq;
        } else {
            kvi::Kv::PutResults r{};
            auto id = kv.put(put_key(core, i), put_value(core, i), &r);
            s = id.ok() ? svc::wait(kv, *id, 30) : Status(id.error());
            seq = r.seq;
        }
        g_latency[i] = svc::rdtsc() - t0;
        if (s.ok()) ++ok;
        else user::printf("update %u: %s", i, error_name(s.error()));
        ordered = ordered && seq > last_seq;  // our updates take places in our order
        last_seq = seq;
    }
    check(ok == updates, "every update applied");
    check(ordered, "each update's place in the agreed order follows the previous one's");
    sort_in_place(g_latency, updates);
    u64 median = g_latency[updates / 2], p99 = g_latency[(updates * 99) / 100];
    u64 hz = svc::tsc_hz();
    user::printf("KVTEST latency core=%u updates=%u median=%lu p99=%lu cycles (%lu ns)", core, updates, median, p99,
                 median * u64{1000000000} / hz);
    user::printf("CSV kv,update_latency,mttcg,%u,%u,-,cycles,%lu,%lu,%u", cores, core, median, p99, updates);
    user::printf("CSV kv,update_latency,mttcg,%u,%u,-,ns,%lu,%lu,%u", cores, core, median * u64{1000000000} / hz,
                 p99 * u64{1000000000} / hz, updates);

    // Every core's updates, applied here: none lost, none twice.
    const u64 total = u64{cores} * (kWarmup + updates);
    kvi::Kv::SummaryResults mine{};
    check(wait_applied(kv, total, mine).ok(), "this replica applied every core's updates");
    check(mine.applied == total, "and no more");
    u64 counters = 0;
    for (u64 k = 0; k < kCounters; ++k) {
        kvi::Kv::GetResults g{};
        auto id = kv.get(k, &g);
        if (id.ok() && svc::wait(kv, *id).ok() && g.found) counters += g.value;
    }
    check(counters == u64{cores} * updates / 2, "the shared counters hold every core's adds");
    u32 own = 0;
    for (u32 i = 1; i < updates; i += 2) {
        kvi::Kv::GetResults g{};
        auto id = kv.get(put_key(core, i), &g);
        if (id.ok() && svc::wait(kv, *id).ok() && g.found && g.value == put_value(core, i)) ++own;
    }
    check(own == updates / 2, "our puts are there");
    check(mine.keys == kCounters + cores + u64{cores} * updates / 2, "every key is there");

    if (core == 0) {
        // Every replica, through a channel of its own: same count, same order.
        u32 identical = 0, reached = 0;
        for (u32 c = 0; c < cores; ++c) {
            auto f = c == 0 ? Result<urpc::Frame*>(*frame) : d.connect("kv", c);
            if (!f.ok()) continue;
            alignas(urpc::Endpoint) static u8 storage[sizeof(urpc::Endpoint)];
            urpc::Endpoint* e = c == 0 ? &ep : new (storage) urpc::Endpoint(urpc::Endpoint::init(**f, urpc::Side::A));
            kvi::KvClient<urpc::Endpoint> other(*e);
            kvi::Kv::SummaryResults r{};
            if (!wait_applied(c == 0 ? kv : other, total, r).ok()) continue;
            ++reached;
            if (r.applied == total && r.digest == mine.digest && r.keys == mine.keys && r.sum == mine.sum) ++identical;
            else user::printf("replica on core %u: applied=%lu digest=%016lx keys=%u", c, r.applied, r.digest, r.keys);
        }
        check(reached == cores && identical == cores, "every replica identical");
        user::printf("KV %s replicas=%u identical=%u applied=%lu digest=%016lx keys=%u", identical == cores ? "ok" : "FAILED",
                     reached, identical, mine.applied, mine.digest, mine.keys);
    }
    user::printf("KVTEST core=%u passed=%d failed=%d", core, g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
