// One core's capability system: its capability table (the derivation tree of
// every capability on this core) and its mapping records. Lives in the core's
// own memory and is reached through its Core; no other core ever touches it.
// The invocation handlers, one file per capability type, share these helpers.
#pragma once

#include "abi/caps.hpp"
#include "caps/cspace.hpp"
#include "capsys/mappings.hpp"
#include "caps/table.hpp"
#include "layout.h"

namespace mk {
struct Dispatcher;
struct TrapFrame;
}  // namespace mk

namespace mk::capsys {

struct CoreCaps {
    CoreCaps() : table(DIRECT_MAP_BASE) {}
    caps::CapTable table;
    Mappings mappings;
};

// The arguments of one invocation, already taken from the registers.
struct Invocation {
    Dispatcher& caller;
    caps::Cte& cap;  // the invoked capability (never empty)
    u64 method;
    u64 a[4];
};

struct InvokeResult {
    Error error;
    u64 value;
};

// The slot a capability address names in the caller's CSpace: an L2 slot,
// or with abi::kL1Flag a slot of the root CNode itself.
Result<caps::Cte*> resolve_slot(CoreCaps& cc, Dispatcher& d, u64 address);
// The capability there, of `type` unless that is Null (InvalidCap, WrongType).
Result<caps::Cte*> resolve_cap(CoreCaps& cc, Dispatcher& d, u64 address, caps::CapType type);
// An empty slot named by its capability address in the caller's CSpace.
Result<caps::Cte*> empty_slot(CoreCaps& cc, Dispatcher& d, u64 address);
// The L2 CNode holding the slot `address` names, and that slot's index.
struct SlotRange {
    caps::Cte* cnode;
    u32 first;
};
Result<SlotRange> slot_range(CoreCaps& cc, Dispatcher& d, u64 address);

// Per-type handlers (ram.cpp, vnode.cpp, io.cpp, dispatcher_cap.cpp, kernel.cpp, irq.cpp).
InvokeResult invoke_ram(CoreCaps& cc, const Invocation& inv);
InvokeResult invoke_vnode(CoreCaps& cc, const Invocation& inv);
InvokeResult invoke_io(CoreCaps& cc, const Invocation& inv);
InvokeResult invoke_dispatcher(CoreCaps& cc, const Invocation& inv);
InvokeResult invoke_kernel(CoreCaps& cc, const Invocation& inv);
InvokeResult invoke_irq(CoreCaps& cc, const Invocation& inv);
// kRamRetype's work (ram.cpp); `agreed`: the monitors agreed on it (a source
// with remote relations is then allowed, see caps::RetypeArgs).
InvokeResult retype(CoreCaps& cc, Dispatcher& caller, caps::Cte& src, u64 type_and_size, u64 count, u64 offset,
                    u64 dest, bool agreed);
// An ISA line's interrupt arrived (irq.cpp): mask it and count it.
void irq_fired(u32 line);

// kSysCall and kSysReplyRecv (endpoint.cpp).
void sys_call(TrapFrame& frame);
void sys_reply_recv(TrapFrame& frame);
void sys_reply(TrapFrame& frame);

// kSysInvoke.
void sys_invoke(TrapFrame& frame);

}  // namespace mk::capsys
