// Capability invocation: resolve the capability address in the caller's own
// CSpace, then either a generic slot operation (identify, copy, mint, delete,
// revoke, for every type) or the type's own methods. Every handler decodes and
// checks all of its arguments before it changes anything.
#include "capsys/core_caps.hpp"
#include "capsys/reclaim.hpp"
#include "core.hpp"
#include "dispatcher.hpp"
#include "traps.hpp"
#include "user_access.hpp"

namespace mk::capsys {
namespace {

constexpr caps::Rights rights_from(u64 bits) { return static_cast<caps::Rights>(bits & 0xF); }

InvokeResult identify(CoreCaps& cc, const Invocation& inv) {
    auto info = cc.table.identify(inv.cap);
    if (!info.ok()) return {info.error(), 0};
    const caps::Capability& c = info->cap;
    abi::CapIdentity id{static_cast<u64>(c.type), static_cast<u64>(c.rights), static_cast<u64>(c.remote),
                        c.base, c.bytes, c.word};
    Status s = copy_to_user(inv.a[0], &id, sizeof id);
    return {s.ok() ? Error::Ok : s.error(), static_cast<u64>(c.type)};
}

InvokeResult generic(CoreCaps& cc, const Invocation& inv) {
    switch (inv.method) {
        case abi::kCapIdentify: return identify(cc, inv);
        case abi::kCapCopy: {
            auto dest = empty_slot(cc, inv.caller, inv.a[0]);
            if (!dest.ok()) return {dest.error(), 0};
            Status s = cc.table.copy(inv.cap, **dest);
            return {s.ok() ? Error::Ok : s.error(), 0};
        }
        case abi::kCapMint: {
            if (inv.a[1] > 0xF) return {Error::InvalidArgument, 0};
            auto dest = empty_slot(cc, inv.caller, inv.a[0]);
            if (!dest.ok()) return {dest.error(), 0};
            Status s = cc.table.mint(inv.cap, **dest, rights_from(inv.a[1]), inv.a[2]);
            return {s.ok() ? Error::Ok : s.error(), 0};
        }
        case abi::kCapDelete: {
            KernelReclaimer reclaimer;
            auto out = cc.table.delete_cap(inv.cap, &reclaimer);
            if (!out.ok()) return {out.error(), 0};
            reclaimer.finish();
            cc.mappings.sweep();
            return {Error::Ok, static_cast<u64>(out->kind)};
        }
        case abi::kCapRevoke: {
            KernelReclaimer reclaimer;
            auto out = cc.table.revoke(inv.cap, &reclaimer);
            if (!out.ok()) return {out.error(), 0};
            reclaimer.finish();
            cc.mappings.sweep();
            return {Error::Ok, out->caps_deleted};
        }
        default: return {Error::UnknownMethod, 0};
    }
}

}  // namespace

Result<caps::Cte*> resolve_slot(CoreCaps& cc, Dispatcher& d, u64 address) {
    if (address > 0xFFFFFFFF) return Error::OutOfRange;
    auto a = static_cast<u32>(address);
    if ((a & abi::kL1Flag) != 0) {
        u32 l1 = a & ~abi::kL1Flag;
        if (l1 >= caps::kL1MaxSlots) return Error::OutOfRange;
        return caps::lookup(cc.table, d.cspace(), caps::cap_addr(l1, 0), caps::Level::L1);
    }
    return caps::lookup(cc.table, d.cspace(), a);
}

Result<caps::Cte*> resolve_cap(CoreCaps& cc, Dispatcher& d, u64 address, caps::CapType type) {
    caps::Cte* c = TRY(resolve_slot(cc, d, address));
    if (c->empty()) return Error::InvalidCap;
    if (type != caps::CapType::Null && c->cap().type != type) return Error::WrongType;
    return c;
}

Result<caps::Cte*> empty_slot(CoreCaps& cc, Dispatcher& d, u64 address) {
    caps::Cte* slot = TRY(resolve_slot(cc, d, address));
    if (!slot->empty()) return Error::SlotOccupied;
    return slot;
}

Result<SlotRange> slot_range(CoreCaps& cc, Dispatcher& d, u64 address) {
    if (address > 0xFFFFFFFF) return Error::OutOfRange;
    auto a = static_cast<caps::CapAddr>(address);
    caps::Cte* cnode = TRY(caps::lookup_cap(cc.table, d.cspace(), caps::cap_addr(caps::l1_index(a), 0), caps::CapType::CNode,
                                            caps::Level::L1));
    return SlotRange{cnode, caps::l2_index(a)};
}

void sys_invoke(TrapFrame& f) {
    Dispatcher* d = this_core().scheduler.current();
    CoreCaps& cc = *this_core().caps;
    auto result = [&f](Error e, u64 v) {
        f.rax = static_cast<u64>(e);
        f.rdx = v;
    };
    if (d == nullptr || f.rdi > 0xFFFFFFFF) return result(Error::InvalidCap, 0);
    auto slot = resolve_cap(cc, *d, f.rdi, caps::CapType::Null);
    if (!slot.ok()) return result(slot.error(), 0);
    Invocation inv{*d, **slot, f.rsi, {f.rdx, f.r10, f.r8, f.r9}};
    InvokeResult r{Error::UnknownMethod, 0};
    if (inv.method < abi::kRamRetype) {
        r = generic(cc, inv);
    } else {
        switch (inv.cap.cap().type) {
            case caps::CapType::Ram:
            case caps::CapType::Frame: r = invoke_ram(cc, inv); break;
            case caps::CapType::Pml4:
            case caps::CapType::Pdpt:
            case caps::CapType::Pd:
            case caps::CapType::Pt: r = invoke_vnode(cc, inv); break;
            case caps::CapType::Io: r = invoke_io(cc, inv); break;
            case caps::CapType::Dispatcher: r = invoke_dispatcher(cc, inv); break;
            case caps::CapType::Kernel: r = invoke_kernel(cc, inv); break;
            case caps::CapType::Irq: r = invoke_irq(cc, inv); break;
            default: r = {Error::UnknownMethod, 0}; break;
        }
    }
    result(r.error, r.value);
    // The invocation may have destroyed the caller's own dispatcher.
    if (d->state == DispatcherState::Dead) this_core().scheduler.reschedule(f);
}

}  // namespace mk::capsys
