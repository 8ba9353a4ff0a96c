// The name service (docs/services/names.md): which cores run a replica of
// which service. Every monitor keeps a replica of the table (lib/svc's
// NameTable); a registration is an update of one replicated stream, agreed
// by every monitor through the engine they already run (family
// kFamilyNames), so all replicas see the same registrations in the same
// order and a lookup reads only the local replica.
#include <new>

#include "monitor.hpp"
#include "svc/names.hpp"

namespace mk::monitor {
namespace {

svc::NameTable g_table;
alignas(svc::Replicated) u8 g_state_storage[sizeof(svc::Replicated)];
svc::Replicated* g_state = nullptr;

}  // namespace

void register_names_family(agree::Router& router) {
    // Monitor n is replica n of the names stream.
    g_state = new (g_state_storage)
        svc::Replicated(agree::kFamilyNames, 0, static_cast<u8>(g_self.core), static_cast<u8>(g_self.cores), g_table);
    router.route(agree::kFamilyNames, *g_state);
}

void serve_names() {
    if (g_state != nullptr) g_state->pump(agreement_engine());
}

Status name_update(svc::NameAction action, const char* name) {
    svc::Update u = TRY(svc::NameTable::make(action, name));
    u32 ticket = TRY(g_state->propose(u));
    u64 until = deadline();
    for (;;) {
        Status s = g_state->status(ticket);
        if (s.error() != Error::Empty) return s;
        if (rdtsc() > until) return Error::Timeout;
        serve_all();
        if (g_state->status(ticket).error() == Error::Empty) idle_wait();
    }
}

u64 lookup_name(const char* name) { return g_table.lookup(name); }

u64 names_digest() { return g_state == nullptr ? 0 : g_state->digest(); }

}  // namespace mk::monitor
