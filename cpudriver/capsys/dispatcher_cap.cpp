// Dispatcher capabilities: kDispatcherSetup turns a Dispatcher object (retyped
// from RAM, so zeroed) into a runnable dispatcher on this core, with the
// capability space, address space and dispatcher frame its creator chose. This
// is how a domain starts another dispatcher of its own or a new domain.
#include <new>

#include "capsys/core_caps.hpp"
#include "core.hpp"
#include "dispatcher.hpp"
#include "domains.hpp"
#include "mem/page_table.hpp"
#include "paging.hpp"
#include "tsc.hpp"

namespace mk::capsys {
namespace {

Result<caps::Cte*> cap_of(CoreCaps& cc, Dispatcher& d, u64 address, caps::CapType type) {
    return resolve_cap(cc, d, address, type);
}

}  // namespace

InvokeResult invoke_dispatcher(CoreCaps& cc, const Invocation& inv) {
    if (inv.method == abi::kDispatcherStatus) {
        const auto* d = static_cast<const Dispatcher*>(paging::phys_to_virt(inv.cap.cap().base));
        if (d->id == 0 || d->state != DispatcherState::Dead) return {Error::Ok, 0};
        return {Error::Ok, 1 | (u64{static_cast<u32>(d->exit_code)} << 32)};
    }
    if (inv.method != abi::kDispatcherSetup) return {Error::UnknownMethod, 0};
    auto cspace = cap_of(cc, inv.caller, inv.a[0], caps::CapType::CNode);
    auto vspace = cap_of(cc, inv.caller, inv.a[1], caps::CapType::Pml4);
    auto frame = cap_of(cc, inv.caller, inv.a[2], caps::CapType::Frame);
    if (!cspace.ok()) return {cspace.error(), 0};
    if (!vspace.ok()) return {vspace.error(), 0};
    if (!frame.ok()) return {frame.error(), 0};
    const caps::Capability& f = (*frame)->cap();
    if (f.bytes != kPageSize || !caps::has_rights(f.rights, caps::Rights::Read | caps::Rights::Write)) {
        return {Error::NoRights, 0};
    }
    u64 entry = inv.a[3];
    if (entry == 0 || entry >= mem::kUserTop) return {Error::OutOfRange, 0};
    auto* d = static_cast<Dispatcher*>(paging::phys_to_virt(inv.cap.cap().base));
    if (d->id != 0) return {Error::Busy, 0};  // already set up: a dispatcher runs once
    const auto* shared = static_cast<const abi::DispatcherFrame*>(paging::phys_to_virt(f.base));
    u64 sp = shared->start_sp, arg = shared->start_arg;
    if (sp >= mem::kUserTop) return {Error::OutOfRange, 0};
    // Checked; now perform. The object was zeroed by retype.
    d = new (d) Dispatcher{};
    Status s1 = cc.table.copy(**cspace, d->cspace());
    Status s2 = cc.table.copy(**vspace, d->vspace());
    if (!s1.ok() || !s2.ok()) return {Error::NoMemory, 0};
    d->id = (this_core().number << 16) | ++this_core().domains_started;
    __builtin_memcpy(d->name, inv.caller.name, sizeof d->name);
    if (shared->start_name[0] != '\0') {
        for (usize i = 0; i + 1 < sizeof d->name; ++i) {
            char c = shared->start_name[i];
            if (c == '\0') break;
            d->name[i] = c >= ' ' && c < 127 ? c : '?';
            d->name[i + 1] = '\0';
        }
    }
    d->state = DispatcherState::Runnable;
    d->pml4 = (*vspace)->cap().base;
    d->frame = f.base;
    d->receive_slot = abi::kNoCap;
    // The facts every domain's runtime may read from its frame.
    auto* facts = static_cast<abi::DispatcherFrame*>(paging::phys_to_virt(f.base));
    facts->core = this_core().number;
    facts->cores = core_count();
    facts->domain_id = d->id;
    facts->tsc_hz = tsc::hz();
    init_user_context(d->context, entry, sp, arg, core_count());
    this_core().scheduler.add(d);
    return {Error::Ok, d->id};
}

}  // namespace mk::capsys
