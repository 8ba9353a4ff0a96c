// Memory allocation across cores under load: every core's copy of this
// program asks its monitor for 1 MiB of RAM at a time. Even cores want more
// than their own pool holds, odd cores less, so the even cores' monitors
// move chunks from other cores' pools while every core allocates at once:
// concurrent, conflicting agreed operations. Each allocation gets a tag
// (core, index) written into its first page; at the end every tag must still
// be there (memory given to two cores would be overwritten by the other),
// and core 0's monitor checks that every replica of the ownership map is
// identical and matches the capabilities each core holds (the AGREE line).
#include "abi/caps.hpp"
#include "user/caps.hpp"
#include "user/console.hpp"
#include "user/monitor_link.hpp"
#include "user/syscall.hpp"
#include "user/vm.hpp"

using namespace mk;
using namespace mk::user;

namespace {

constexpr u32 kRam = abi::cap_address(abi::kRamCNode, 0);
constexpr u32 kVSpace = abi::cap_address(abi::kTaskCNode, abi::kTaskVSpace);
constexpr u64 kTagsVa = 0x50000000000, kLinkVa = 0x60000000000;
constexpr u32 kMaxChunks = 400;

SlotAllocator g_slots(abi::kSlotCNode2);
SlotAllocator g_more_slots(abi::kSlotCNode);
RamAllocator g_ram(kRam, 1u << 20, g_slots);
AddressSpace g_space(kVSpace, g_ram);

u64 rdtsc() {
    u32 lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (u64{hi} << 32) | lo;
}

Result<u32> next_slot() {
    auto s = g_slots.next();
    return s.ok() ? s : g_more_slots.next();
}

}  // namespace

extern "C" int domain_main(u32 core, u32 cores) {
    auto link = MonitorLink::open(g_space, kLinkVa);
    if (!link.ok()) {
        printf("MEMSTORM core=%u failed: no channel to the monitor", core);
        return 1;
    }
    auto& monitor = (*link)->client();
    idl::monitor::Local::WhereAmIResults where{};
    auto id = monitor.where_am_i(&where);
    if (!id.ok() || !(*link)->wait(*id).ok()) return 1;
    u32 pool = where.pool_chunks;
    u32 wanted = (core % 2 == 0 && cores > 1) ? pool + 4 : pool / 2;
    if (wanted > kMaxChunks) wanted = kMaxChunks;

    const u64 hz = reinterpret_cast<const abi::DispatcherFrame*>(abi::kDispatcherFrameAddress)->tsc_hz;
    u64 until = rdtsc() + 60 * hz;
    u32 allocated = 0, busy_waits = 0, failed = 0;
    Error last = Error::Ok;
    while (allocated < wanted && rdtsc() < until) {
        auto slot = next_slot();
        if (!slot.ok()) break;
        Status s = Error::Busy;
        while (s.error() == Error::Busy && rdtsc() < until) {
            auto call = monitor.alloc_ram(20, *slot);
            s = call.ok() ? (*link)->wait(*call) : Status(call.error());
            if (s.error() == Error::Busy) {
                ++busy_waits;
                yield();
            }
        }
        if (!s.ok()) {
            last = s.error();
            break;
        }
        // Tag its first page: retype a 4 KiB Frame at its start and map it.
        auto frame = next_slot();
        u64 va = kTagsVa + u64{allocated} * kPageSize;
        if (!frame.ok() || retype(*slot, CapType::Frame, 12, 1, 0, *frame) != Error::Ok ||
            !g_space.map_frame(va, *frame, abi::kMapWrite).ok()) {
            ++failed;
            break;
        }
        auto* words = reinterpret_cast<volatile u64*>(va);
        words[0] = (u64{core} << 32) | allocated;
        words[511] = ~words[0];
        ++allocated;
    }
    // Give the other cores time to finish theirs, then check every tag.
    for (u64 settle = rdtsc() + hz / 5; rdtsc() < settle;) yield();
    u32 verified = 0;
    for (u32 i = 0; i < allocated; ++i) {
        auto* words = reinterpret_cast<volatile u64*>(kTagsVa + u64{i} * kPageSize);
        u64 tag = (u64{core} << 32) | i;
        if (words[0] == tag && words[511] == ~tag) ++verified;
        else ++failed;
    }
    if (allocated < wanted) ++failed;
    printf("MEMSTORM core=%u pool=%u wanted=%u allocated=%u busy_waits=%u verified=%u failed=%u%s%s", core, pool, wanted,
           allocated, busy_waits, verified, failed, last == Error::Ok ? "" : " last_error=", last == Error::Ok ? "" : error_name(last));
    return failed == 0 ? 0 : 1;
}
