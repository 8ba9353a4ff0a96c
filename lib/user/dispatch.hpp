// Starting another dispatcher of this domain on this core, in the same
// address space and capability space: its Dispatcher object and its
// dispatcher frame come from the domain's RAM.
#pragma once

#include "abi/caps.hpp"
#include "abi/syscalls.hpp"
#include "user/caps.hpp"
#include "user/vm.hpp"

namespace mk::user {

// Runs entry(arg) on the stack below `stack_top`; its dispatcher frame is
// mapped at frame_va.
inline Result<u32> start_dispatcher(AddressSpace& space, u64 frame_va, void (*entry)(u64), u64 stack_top, u64 arg) {
    u32 disp = TRY(space.make(static_cast<u32>(CapType::Dispatcher), 10));
    u32 frame = TRY(space.map_new_page(frame_va));
    auto* f = reinterpret_cast<abi::DispatcherFrame*>(frame_va);
    // The CPU driver starts the dispatcher with exactly this RSP, and `entry`
    // is compiled code that expects to have been called: RSP + 8 aligned to
    // 16 (SysV ABI), or its aligned SSE spills fault.
    f->start_sp = (stack_top & ~u64{15}) - 8;
    f->start_arg = arg;
    SyscallResult r = invoke(disp, abi::kDispatcherSetup, abi::cap_address(abi::kTaskCNode, abi::kTaskRootCNode),
                             abi::cap_address(abi::kTaskCNode, abi::kTaskVSpace), frame, reinterpret_cast<u64>(entry));
    if (r.error != Error::Ok) return r.error;
    return disp;
}

}  // namespace mk::user
