// The programs a monitor starts: with `test` on the command line the in-guest
// suites on every core, with `run=NAME` that boot module on core 0 (with
// `run=NAME:all` on every core). Each is
// loaded by the user-level ELF loader with the environment the CPU driver
// gives a boot domain, plus a channel to this monitor (the Local interface),
// and watched through its Dispatcher capability until it ends. Programs
// started later (Local.spawn, spawn.cpp) go into the same table: each has a
// domain id (this core << 32 | a sequence number), its argument text, and
// its record stays until the table is full and it has ended.
#include <new>

#include "base/string.hpp"
#include "boot/cmdline.hpp"
#include "monitor.hpp"
#include "user/spawn.hpp"
#include "user/syscall.hpp"

namespace mk::monitor {
namespace {

constexpr u64 kProgramRam = 4 << 20;  // RAM each program gets at its start
constexpr usize kMaxPrograms = 16;

struct Program;

struct LocalService {
    Program* program;
    Status alloc_ram(const midl::Local::AllocRamParams& p, midl::Local::AllocRamResults&);
    Status where_am_i(const midl::Local::WhereAmIParams&, midl::Local::WhereAmIResults& r);
    Status send_cap(const midl::Local::SendCapParams& p, midl::Local::SendCapResults& r);
    Status receive_cap(const midl::Local::ReceiveCapParams& p, midl::Local::ReceiveCapResults&);
    Status revoke_cap(const midl::Local::RevokeCapParams& p, midl::Local::RevokeCapResults&);
    Status retype_cap(const midl::Local::RetypeCapParams& p, midl::Local::RetypeCapResults&);
    Status delete_cap(const midl::Local::DeleteCapParams& p, midl::Local::DeleteCapResults& r);
    // Services (services.cpp, names.cpp).
    Status register_name(const midl::Local::RegisterNameParams& p, midl::Local::RegisterNameResults&);
    Status lookup(const midl::Local::LookupParams& p, midl::Local::LookupResults& r);
    Status connect(const midl::Local::ConnectParams& p, midl::Local::ConnectResults&);
    Status accept_channel(const midl::Local::AcceptChannelParams& p, midl::Local::AcceptChannelResults& r);
    Status service_stop(const midl::Local::ServiceStopParams&, midl::Local::ServiceStopResults& r);
    // Domains spanning cores (span.cpp).
    Status span(const midl::Local::SpanParams& p, midl::Local::SpanResults&);
    Status shootdown(const midl::Local::ShootdownParams& p, midl::Local::ShootdownResults& r);
    // Spawn and the shell's questions (spawn.cpp).
    Status spawn(const midl::Local::SpawnParams& p, midl::Local::SpawnResults& r);
    Status domain_status(const midl::Local::DomainStatusParams& p, midl::Local::DomainStatusResults& r);
    Status args(const midl::Local::ArgsParams&, midl::Local::ArgsResults& r);
    Status list_domains(const midl::Local::ListDomainsParams& p, midl::Local::ListDomainsResults& r);
    Status list_caps(const midl::Local::ListCapsParams& p, midl::Local::ListCapsResults& r);
    Status mem_info(const midl::Local::MemInfoParams&, midl::Local::MemInfoResults& r);
};

struct Program {
    Program(const char* n, user::Spawner::Child c, urpc::Frame& f, u32 channel_cap, u64 domain_id, const char* text)
        : child(c), ep(urpc::Endpoint::init(f, urpc::Side::A)), service{this}, server(service, ep) {
        str_copy(name, n, sizeof name);
        str_copy(args, text, sizeof args);
        channel = channel_cap;
        id = domain_id;
    }
    char name[24];
    char args[128];
    u32 channel;  // the channel frame, kept for the next program in this record
    u64 id;         // how every monitor names it: this core << 32 | a sequence number here
    u64 spans = 0;  // the other cores it runs a dispatcher on (docs/shootdown.md)
    user::Spawner::Child child;
    urpc::Endpoint ep;
    LocalService service;
    midl::LocalServer<LocalService, urpc::Endpoint> server;
    bool ended = false;
    int exit_code = 0;
    u8 tag = 0;  // of the pieces allocated for it, and of its tickets
    u32 offers = 0;
    bool is_service = false;  // a service's replica: it ends when asked to, not on its own
};

alignas(Program) u8 g_program_storage[kMaxPrograms][sizeof(Program)];
Program* g_programs[kMaxPrograms] = {};
u32 g_program_count = 0;  // records in use
u32 g_started = 0;        // programs ever started here
u32 g_next_sequence = 1;  // of domain ids

// How much RAM a program gets: what the in-guest suites were sized for, a
// pool chunk for the small programs, the old default for the rest.
u64 ram_for(const char* name) {
    if (str_eq(name, "syscallfuzz")) return 2 << 20;
    for (const char* small : {"captest", "memstorm", "capstorm", "hello", "spawntest", "shell"}) {
        if (str_eq(name, small)) return 1 << 20;
    }
    return kProgramRam;
}

user::Spawner& spawner() {
    static user::Spawner s(*g_self.space, kModuleVa, kScratchVa, kSpawnL1A, kSpawnL1B);
    return s;
}

// A record for a new program: a free one, else the one that ended first.
Result<u32> free_record() {
    if (g_program_count < kMaxPrograms) return g_program_count;
    u32 oldest = kMaxPrograms;
    for (u32 i = 0; i < g_program_count; ++i) {
        if (g_programs[i]->ended && (oldest == kMaxPrograms || g_programs[i]->id < g_programs[oldest]->id)) oldest = i;
    }
    if (oldest == kMaxPrograms) return Error::Full;
    return oldest;
}

Program* find_program(u64 id) {
    for (u32 i = 0; i < g_program_count; ++i) {
        if (g_programs[i]->id == id) return g_programs[i];
    }
    return nullptr;
}

Status LocalService::alloc_ram(const midl::Local::AllocRamParams& p, midl::Local::AllocRamResults&) {
    Allocation a = TRY(monitor::alloc_ram(p.size_log2, program->tag));
    Status s = place_in_child(program->child.root, p.slot, a.cap);
    if (a.temporary) (void)user::remove(a.cap);  // the program holds the only capability (or, on failure, nobody)
    return s;
}

Status LocalService::where_am_i(const midl::Local::WhereAmIParams&, midl::Local::WhereAmIResults& r) {
    r.core = g_self.core;
    r.cores = g_self.cores;
    r.programs = g_started;
    r.pool_chunks = pool_chunks();
    return {};
}

Status LocalService::send_cap(const midl::Local::SendCapParams& p, midl::Local::SendCapResults& r) {
    const u64 ticket = (u64{g_self.core} << 32) | (u64{program->tag} << 24) | (program->offers & 0xFFFFFF);
    TRY_STATUS(offer_cap(program->child.root, p.slot, p.to_core, ticket));
    ++program->offers;
    r.ticket = ticket;
    return {};
}

Status LocalService::retype_cap(const midl::Local::RetypeCapParams& p, midl::Local::RetypeCapResults&) {
    return retype_agreed(program->child.root, p.slot, p.cap_type, p.size_log2, p.offset, p.dest);
}

Status LocalService::revoke_cap(const midl::Local::RevokeCapParams& p, midl::Local::RevokeCapResults&) {
    return revoke_everywhere(program->child.root, p.slot);
}

Status LocalService::receive_cap(const midl::Local::ReceiveCapParams& p, midl::Local::ReceiveCapResults&) {
    return claim_cap(program->child.root, p.ticket, p.slot);
}

Status LocalService::delete_cap(const midl::Local::DeleteCapParams& p, midl::Local::DeleteCapResults& r) {
    r.last = TRY(monitor::delete_cap(program->child.root, p.slot));
    return {};
}

Status LocalService::register_name(const midl::Local::RegisterNameParams& p, midl::Local::RegisterNameResults&) {
    return service_register(program->child.root, p.name.c_str());
}

Status LocalService::lookup(const midl::Local::LookupParams& p, midl::Local::LookupResults& r) {
    return service_lookup(p.name.c_str(), r.cores, r.planned);
}

Status LocalService::connect(const midl::Local::ConnectParams& p, midl::Local::ConnectResults&) {
    return service_connect(program->child.root, p.name.c_str(), p.to_core, p.port, p.slot);
}

Status LocalService::accept_channel(const midl::Local::AcceptChannelParams& p, midl::Local::AcceptChannelResults& r) {
    return service_accept(program->child.root, p.slot, r.found, r.from_core, r.port);
}

Status LocalService::service_stop(const midl::Local::ServiceStopParams&, midl::Local::ServiceStopResults& r) {
    r.stop = service_stop_requested();
    return {};
}

Status LocalService::span(const midl::Local::SpanParams& p, midl::Local::SpanResults&) {
    return span_domain(program->id, program->child.root, p.core, p.entry, p.stack_top, p.arg, p.frame_slot,
                       program->spans);
}

Status LocalService::shootdown(const midl::Local::ShootdownParams& p, midl::Local::ShootdownResults& r) {
    r.cores = TRY(shootdown_domain(program->id, program->spans, p.vaddr, p.pages));
    return {};
}

Status LocalService::spawn(const midl::Local::SpawnParams& p, midl::Local::SpawnResults& r) {
    return spawn_for(program->child.root, p, r);
}
Status LocalService::domain_status(const midl::Local::DomainStatusParams& p, midl::Local::DomainStatusResults& r) {
    return domain_status_anywhere(p.id, r.ended, r.exit_code);
}
Status LocalService::list_domains(const midl::Local::ListDomainsParams& p, midl::Local::ListDomainsResults& r) {
    return list_domains_on(p.core, r.domains);
}
Status LocalService::list_caps(const midl::Local::ListCapsParams& p, midl::Local::ListCapsResults& r) {
    return list_caps_anywhere(p.id, p.from, r.caps, r.next);
}
Status LocalService::mem_info(const midl::Local::MemInfoParams&, midl::Local::MemInfoResults& r) {
    return pool_sizes(r.chunks, r.chunk_bytes);
}

Status LocalService::args(const midl::Local::ArgsParams&, midl::Local::ArgsResults& r) {
    r.id = program->id;
    return r.text.assign(program->args);
}

// A program's tag marks its tickets and the pieces of memory it was given:
// the number of its boot module, the same on every core, so that copies of
// one program on different cores (the in-guest suites) can name each other's
// tickets whatever else runs there; a second copy running on the same core
// takes one of its own (above the module numbers).
u8 tag_for(const char* name, u32 record) {
    const auto& df = frame();
    u8 tag = static_cast<u8>(32 + record);
    for (u64 i = 0; i < df.module_count && i < 16; ++i) {
        if (str_eq(df.modules[i].name, name)) tag = static_cast<u8>(i + 1);
    }
    for (u32 i = 0; i < g_program_count; ++i) {
        if (i != record && !g_programs[i]->ended && g_programs[i]->tag == tag) return static_cast<u8>(32 + record);
    }
    return tag;
}

// Starts boot module `name` with argument text `args`; the new domain's id.
Result<u64> start(const char* name, const char* args, u64 ram_bytes) {
    u32 record = TRY(free_record());
    bool reused = record < g_program_count;
    u32 channel = reused ? g_programs[record]->channel : TRY(g_self.ram->make(u32(CapType::Frame), 12));
    urpc::Frame* f = reinterpret_cast<urpc::Frame*>(kProgramVa + u64{record} * kPageSize);
    if (!reused) f = TRY(map_channel(channel, kProgramVa + u64{record} * kPageSize));
    f->reset();
    user::Spawner::Options full;
    full.ram_bytes = ram_bytes;
    // A 1 MiB grant is a chunk of the pool: the general block keeps the room.
    auto chunk = ram_bytes == (1u << 20) ? alloc_ram(20) : Result<Allocation>(Error::NotFound);
    if (chunk.ok()) full.ram_cap = chunk->cap;
    full.slot_cnodes = full.modules = full.named = true;
    full.stack_pages = abi::kUserStackPages;
    full.monitor_link = channel;
    full.release_modules = true;  // the program may load the same module itself
    auto child = spawner().start(*g_self.ram, name, g_self.core, abi::kNoCap, full);
    if (!child.ok()) {
        if (!reused) {  // the record stays free: so does its channel's place
            (void)g_self.space->unmap_page(kProgramVa + u64{record} * kPageSize);
            (void)user::remove(channel);
        }
        return child.error();
    }
    u64 id = (u64{g_self.core} << 32) | g_next_sequence++;
    g_programs[record] = new (g_program_storage[record]) Program(name, *child, *f, channel, id, args);
    g_programs[record]->tag = tag_for(name, record);
    if (!reused) ++g_program_count;
    ++g_started;
    return id;
}

void start_at_boot(const char* name, u64 ram_bytes) {
    auto id = start(name, "", ram_bytes);
    if (!id.ok()) user::printf("cannot start %s: %s", name, error_name(id.error()));
    else if (str_eq(name, "shell")) (void)grant_console(find_program(*id)->child.root);
}

}  // namespace

void start_programs() {
    boot::CommandLine cmdline(frame().cmdline);
    if (cmdline.has("test")) {
        for (const char* name : {"usertest", "syscallfuzz", "captest", "memstorm", "capstorm"}) start_at_boot(name, ram_for(name));
        if (g_self.core == 0) start_at_boot("spantest", 1 << 20);  // it spans every other core itself
    }
    // run=NAME: that boot module on core 0; run=NAME:all on every core.
    static char run[40];
    if (cmdline.get("run", run, sizeof run).ok()) {
        usize n = str_len(run);
        bool every_core = n > 4 && str_eq(run + n - 4, ":all");
        if (every_core) run[n - 4] = '\0';
        if (every_core || g_self.core == 0) start_at_boot(run, every_core ? kProgramRam : ram_for(run));
    }
}

void serve_programs() {
    // A handler that waits for an agreement serves everything meanwhile, but
    // not the programs again: their servers are in the middle of a request.
    static bool serving = false;
    if (serving) return;
    serving = true;
    for (u32 i = 0; i < g_program_count; ++i) {
        Program& p = *g_programs[i];
        if (p.ended) continue;
        (void)p.server.poll();
        user::SyscallResult st = user::invoke(p.child.dispatcher, abi::kDispatcherStatus);
        if (st.error == Error::Ok && (st.value & 1) != 0) {
            // Its dispatchers on other cores end first: a program counts as
            // ended only when nothing of it runs anywhere.
            if (p.spans != 0) end_spans(p.id, p.spans);
            p.ended = true;
            p.exit_code = static_cast<int>(static_cast<u32>(st.value >> 32));
        }
    }
    serving = false;
}

void start_service_program(const char* name) {
    // 1 MiB, a chunk of the pool: a monitor's general block (its own objects,
    // the programs' images) stays for the programs of the run.
    auto id = start(name, "", 1 << 20);
    if (!id.ok()) {
        user::printf("cannot start service %s: %s", name, error_name(id.error()));
        return;
    }
    find_program(*id)->is_service = true;
}

bool services_ended() {
    for (u32 i = 0; i < g_program_count; ++i) {
        if (g_programs[i]->is_service && !g_programs[i]->ended) return false;
    }
    return true;
}

u32 program_count() {
    u32 n = g_started;
    for (u32 i = 0; i < g_program_count; ++i) n -= g_programs[i]->is_service ? 1 : 0;
    return n;
}

u8 program_tag(const char* name) {
    for (u32 i = 0; i < g_program_count; ++i) {
        if (str_eq(g_programs[i]->name, name)) return g_programs[i]->tag;
    }
    return 0;
}

bool programs_ended(u32& failed) {
    failed = 0;
    for (u32 i = 0; i < g_program_count; ++i) {
        if (g_programs[i]->is_service) continue;  // services end when asked to (stop_services)
        if (!g_programs[i]->ended) return false;
        if (g_programs[i]->exit_code != 0) ++failed;
    }
    return true;
}

}  // namespace mk::monitor

namespace mk::monitor {

Result<u64> start_program(const char* name, const char* args) { return start(name, args, ram_for(name)); }

Result<u32> program_root(u64 id) {
    Program* p = find_program(id);
    if (p == nullptr) return Error::NotFound;
    return p->child.root;
}

Status program_status(u64 id, bool& ended, int& exit_code) {
    Program* p = find_program(id);
    if (p == nullptr) return Error::NotFound;
    ended = p->ended;
    exit_code = p->exit_code;
    return {};
}

Status list_programs(idl::List<midl::DomainInfo, 16>& out) {
    out.size = 0;
    for (u32 i = 0; i < g_program_count; ++i) {
        const Program& p = *g_programs[i];
        midl::DomainInfo d;
        d.id = p.id;
        TRY_STATUS(d.name.assign(p.name));
        d.ended = p.ended;
        d.exit_code = p.exit_code;
        TRY_STATUS(out.push(d));
    }
    return {};
}

}  // namespace mk::monitor
