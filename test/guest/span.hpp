// What spantest and spanbench share: running dispatchers of this domain on
// the other cores through the monitor (Local.span, docs/shootdown.md), each
// with its stack, its fault stack and a cache line of state in this domain's
// memory, which every one of them shares.
#pragma once

#include "abi/syscalls.hpp"
#include "user/caps.hpp"
#include "user/console.hpp"
#include "user/monitor_link.hpp"
#include "user/syscall.hpp"
#include "user/vm.hpp"

namespace mk::guest_span {

inline constexpr u32 kMaxCores = 16;
inline constexpr u64 kFramesVa = 0x51000000000;  // the spans' dispatcher frames, a page each, by core

// One span's state, written by it (or, for frame_va, by the main dispatcher).
struct alignas(64) SpanState {
    volatile u64 frame_va;       // where its dispatcher frame is mapped (0: not yet)
    volatile u64 ready;          // it installed its fault handler
    volatile u64 reads;          // reads of the page that succeeded
    volatile u64 stale;          // reads that saw the value written after the shootdown
    volatile u64 faulted;        // its page fault arrived (spantest: in which round)
    volatile u64 fault_vector;
    volatile u64 fault_address;
    volatile u64 generation;     // the last round (generation) in which it read the page
};
inline SpanState g_span[kMaxCores];
alignas(16) inline u8 g_span_stack[kMaxCores][16384];
alignas(16) inline u8 g_fault_stack[kMaxCores][8192];

inline u64 rdtsc() {
    u32 lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (u64{hi} << 32) | lo;
}
inline const abi::DispatcherFrame& home_frame() {
    return *reinterpret_cast<const abi::DispatcherFrame*>(abi::kDispatcherFrameAddress);
}
inline u32 this_core() { return static_cast<u32>(user::syscall(abi::kSysCoreInfo).value & 0xFFFFFFFF); }

// A span's first step: wait until the main dispatcher mapped its frame, then
// install `handler` there.
inline SpanState& span_begin(u64 core, void (*handler)(u64, u64, u64)) {
    SpanState& s = g_span[core];
    while (s.frame_va == 0) user::yield();
    auto* f = reinterpret_cast<abi::DispatcherFrame*>(s.frame_va);
    f->fault_stack_top = reinterpret_cast<u64>(g_fault_stack[core] + sizeof g_fault_stack[core]);
    f->fault_handler = reinterpret_cast<u64>(handler);
    s.ready = 1;
    return s;
}

// Runs entry(core) on every other core (up to kMaxCores) and maps each
// span's dispatcher frame; returns how many started.
inline u32 span_everywhere(idl::monitor::LocalClient<urpc::Endpoint>& monitor, user::MonitorLink& link,
                           user::AddressSpace& space, user::SlotAllocator& slots, u32 core, u32 cores,
                           void (*entry)(u64)) {
    u32 started = 0;
    for (u32 c = 0; c < cores && c < kMaxCores; ++c) {
        if (c == core) continue;
        g_span[c] = SpanState{};
        u32 slot = slots.next().value_or(0);
        u64 top = reinterpret_cast<u64>(g_span_stack[c] + sizeof g_span_stack[c]);
        auto id = monitor.span(c, reinterpret_cast<u64>(entry), top, c, slot);
        Status s = id.ok() ? link.wait(*id) : Status(id.error());
        if (!s.ok()) {
            user::printf("span onto core %u: %s", c, error_name(s.error()));
            continue;
        }
        u64 va = kFramesVa + u64{c} * kPageSize;
        s = space.map_frame(va, slot, abi::kMapWrite);
        if (!s.ok()) {
            user::printf("mapping the frame of the span on core %u: %s", c, error_name(s.error()));
            continue;
        }
        g_span[c].frame_va = va;
        ++started;
    }
    return started;
}

}  // namespace mk::guest_span
