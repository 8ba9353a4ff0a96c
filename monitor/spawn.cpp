// Spawn across cores and the questions a shell asks (docs/services/spawn.md).
//
// Local.spawn starts a boot module on a set of cores. This monitor checks
// everything it can first (the module exists, the cores exist, the
// capability can go where it must), so a bad request starts nothing. Then it
// starts the program here if this core is in the set, and asks every other
// core's monitor over the mesh (MonitorPeer.spawnStart), all at once, and
// waits for their answers. A capability travels as any capability between
// cores does: an offer (MonitorPeer.capOffer, transfer.cpp) sent just before
// the spawnStart on the same channel, so it has arrived when the request is
// served; the receiving monitor makes it and places it in the child's task
// slot kTaskSpawnCap before the child can ask it anything (Local.args).
//
// Domain ids carry their core (core << 32 | sequence), so the questions about
// a domain (its state, its capability space) go to the monitor that started
// it; that monitor watches its Dispatcher and knows its exit code.
#include "base/string.hpp"
#include "monitor.hpp"
#include "user/syscall.hpp"

namespace mk::monitor {
namespace {

using namespace mk::user;

constexpr u32 kNoSlot = 0xFFFFFFFFu;
constexpr u32 kSpawnCapAddress = abi::cap_address(abi::kTaskCNode, abi::kTaskSpawnCap);
constexpr u32 kRootSlots = 64;   // a domain's root CNode (Spawner::start makes it of 2^12 bytes)
constexpr u32 kL2Slots = 256;    // and its L2 CNodes

Status ok_or(Error e) { return e == Error::Ok ? Status{} : Status{e}; }

bool module_exists(const char* name) {
    const abi::DispatcherFrame& df = frame();
    for (u64 i = 0; i < df.module_count && i < 16; ++i) {
        if (str_eq(df.modules[i].name, name)) return true;
    }
    return false;
}

// Waits for a call on the mesh channel to `core` while serving everything
// else (replies reach the client through the channel's router).
Status wait_peer(u32 core, idl::CallId id) {
    auto* client = peer_client(core);
    u64 until = deadline();
    for (;;) {
        serve_all();
        Status s = client->status(id);
        if (s.error() != Error::Empty) return s;
        if (rdtsc() > until) {
            client->cancel(id);
            return Error::Timeout;
        }
        idle_wait();
    }
}

// Owns a capability slot of this monitor for the length of a request.
struct OwnSlot {
    u32 slot = kNoSlot;
    ~OwnSlot() {
        if (slot != kNoSlot) (void)remove(slot);
    }
};

}  // namespace

Status spawn_for(u32 caller_root, const midl::Local::SpawnParams& p, midl::Local::SpawnResults& r) {
    r.results.size = 0;
    // Check everything first: a refused request starts nothing.
    if (!module_exists(p.name.chars)) return Error::NotFound;
    u64 all = g_self.cores >= 64 ? ~u64{0} : (u64{1} << g_self.cores) - 1;
    if (p.cores == 0 || (p.cores & ~all) != 0) return Error::OutOfRange;
    bool remote = (p.cores & ~(u64{1} << g_self.core)) != 0;
    OwnSlot cap;
    if (p.cap_slot != kNoSlot) {
        cap.slot = TRY(g_self.slots->next());
        Status s = take_from_child(caller_root, p.cap_slot, cap.slot);
        if (!s.ok()) {
            cap.slot = kNoSlot;
            return s;
        }
        abi::CapIdentity id{};
        TRY_STATUS(ok_or(identify(cap.slot, id)));
        // Only memory crosses cores (as Kernel.capCreate can make it there).
        if (remote && id.type != u64(CapType::Ram) && id.type != u64(CapType::Frame)) return Error::WrongType;
    }
    for (u32 core = 0; core < g_self.cores; ++core) {
        if ((p.cores >> core & 1) == 0 || peer_client(core) != nullptr || core == g_self.core) continue;
        return Error::NotFound;  // no mesh channel to that core's monitor (it did not start)
    }

    // This core first, then every other core at once.
    midl::MonitorPeer::SpawnStartResults answers[kMaxCores] = {};
    idl::CallId calls[kMaxCores] = {};
    Error errors[kMaxCores] = {};
    bool asked[kMaxCores] = {};
    for (u32 core = 0; core < g_self.cores; ++core) {
        if ((p.cores >> core & 1) == 0) continue;
        if (core == g_self.core) {
            auto id = start_program(p.name.chars, p.args.chars);
            if (id.ok() && cap.slot != kNoSlot) {
                Status placed = place_in_child(*program_root(*id), kSpawnCapAddress, cap.slot);
                if (!placed.ok()) printf("spawn: the capability did not reach %s: %s", p.name.chars, error_name(placed.error()));
            }
            answers[core].id = id.value_or(0);
            errors[core] = id.ok() ? Error::Ok : id.error();
            continue;
        }
        u64 ticket = 0;
        if (cap.slot != kNoSlot) {
            auto t = offer_own_cap(cap.slot, core);
            if (!t.ok()) {
                errors[core] = t.error();
                continue;
            }
            ticket = *t;
        }
        auto* client = peer_client(core);
        auto call = client->spawn_start(p.name.chars, p.args.chars, cap.slot != kNoSlot, ticket, &answers[core]);
        if (!call.ok()) {
            errors[core] = call.error();
            continue;
        }
        (void)client->poll(0);  // flush only: requests on this channel are its router's
        calls[core] = *call;
        asked[core] = true;
    }
    for (u32 core = 0; core < g_self.cores; ++core) {
        if (!asked[core]) continue;
        Status s = wait_peer(core, calls[core]);
        errors[core] = s.ok() ? Error::Ok : s.error();
    }
    for (u32 core = 0; core < g_self.cores; ++core) {
        if ((p.cores >> core & 1) == 0) continue;
        midl::SpawnResult one;
        one.core = core;
        one.error = static_cast<u32>(errors[core]);
        one.id = errors[core] == Error::Ok ? answers[core].id : 0;
        TRY_STATUS(r.results.push(one));
    }
    return {};
}

Result<u64> spawn_here(const char* name, const char* args, bool has_cap, u64 ticket) {
    if (!module_exists(name)) return Error::NotFound;
    OwnSlot cap;
    if (has_cap) cap.slot = TRY(claim_offer(ticket));  // before the start: a failed claim starts nothing
    u64 id = TRY(start_program(name, args));
    if (has_cap) {
        Status placed = place_in_child(*program_root(id), kSpawnCapAddress, cap.slot);
        if (!placed.ok()) printf("spawn: the capability did not reach %s: %s", name, error_name(placed.error()));
    }
    return id;
}

Status domain_status_anywhere(u64 id, bool& ended, i32& exit_code) {
    u32 core = static_cast<u32>(id >> 32);
    if (core >= g_self.cores) return Error::NotFound;
    if (core == g_self.core) {
        int code = 0;
        TRY_STATUS(program_status(id, ended, code));
        exit_code = code;
        return {};
    }
    auto* client = peer_client(core);
    if (client == nullptr) return Error::NotFound;
    midl::MonitorPeer::DomainStatusResults answer{};
    idl::CallId call = TRY(client->domain_status(id, &answer));
    (void)client->poll(0);
    TRY_STATUS(wait_peer(core, call));
    ended = answer.ended;
    exit_code = answer.exit_code;
    return {};
}

Status list_domains_on(u32 core, idl::List<midl::DomainInfo, 16>& out) {
    if (core >= g_self.cores) return Error::OutOfRange;
    if (core == g_self.core) return list_programs(out);
    auto* client = peer_client(core);
    if (client == nullptr) return Error::NotFound;
    midl::MonitorPeer::ListDomainsResults answer{};
    idl::CallId call = TRY(client->list_domains(&answer));
    (void)client->poll(0);
    TRY_STATUS(wait_peer(core, call));
    out = answer.domains;
    return {};
}

Status list_caps_anywhere(u64 id, u32 from, idl::List<midl::CapInfo, 16>& out, u32& next) {
    u32 core = static_cast<u32>(id >> 32);
    if (core >= g_self.cores) return Error::NotFound;
    if (core == g_self.core) return list_caps_here(id, from, out, next);
    auto* client = peer_client(core);
    if (client == nullptr) return Error::NotFound;
    midl::MonitorPeer::ListCapsResults answer{};
    idl::CallId call = TRY(client->list_caps(id, from, &answer));
    (void)client->poll(0);
    TRY_STATUS(wait_peer(core, call));
    out = answer.caps;
    next = answer.next;
    return {};
}

// Walks the domain's root CNode from capability address `from`: each L1 slot
// that holds a CNode is borrowed into our root slot kPlaceL1B (its root into
// kPlaceL1A, as place_in_child does) and its slots identified.
Status list_caps_here(u64 id, u32 from, idl::List<midl::CapInfo, 16>& out, u32& next) {
    out.size = 0;
    next = kNoSlot;
    u32 root = TRY(program_root(id));
    if (from >= kRootSlots << 8) return {};
    TRY_STATUS(ok_or(copy(root, abi::l1_slot(kPlaceL1A))));
    for (u32 l1 = from >> 8; l1 < kRootSlots && next == kNoSlot; ++l1) {
        if (copy(abi::cap_address(kPlaceL1A, l1), abi::l1_slot(kPlaceL1B)) != Error::Ok) continue;  // empty
        for (u32 l2 = l1 == (from >> 8) ? (from & 0xFF) : 0; l2 < kL2Slots; ++l2) {
            abi::CapIdentity c{};
            if (identify(abi::cap_address(kPlaceL1B, l2), c) != Error::Ok) continue;
            if (out.size == out.kMaxLength) {
                next = (l1 << 8) | l2;
                break;
            }
            midl::CapInfo info;
            info.slot = (l1 << 8) | l2;
            info.type = static_cast<u8>(c.type);
            info.rights = static_cast<u8>(c.rights);
            info.remote = (c.remote & 1) != 0;
            info.base = c.base;
            info.bytes = c.bytes;
            info.word = c.word;
            (void)out.push(info);
        }
        (void)remove(abi::l1_slot(kPlaceL1B));
    }
    (void)remove(abi::l1_slot(kPlaceL1A));
    return {};
}

}  // namespace mk::monitor
