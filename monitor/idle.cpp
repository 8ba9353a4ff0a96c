// Waiting without spinning. A monitor with nothing to do would otherwise
// poll its channels in a loop, keeping its core (and, under an emulator, a
// host thread) busy: with more cores than host CPUs that loop takes the time
// the other cores need to answer. So a monitor that no program needs
// announces on every channel that it is about to wait (urpc's waiting flag),
// checks once more for messages, and blocks in kSysWaitEvent until a wake IPI
// or the next timer tick. A monitor that sends anything wakes the peers that
// announced they wait (Kernel.wakeCore), as the CPU drivers do on their links
// (docs/urpc.md, "Blocking").
#include "monitor.hpp"
#include "user/syscall.hpp"

namespace mk::monitor {
namespace {

struct Watched {
    urpc::Endpoint* ep;
    u32 peer;
    u64 last_sent;
};
Watched g_watched[2 * kMaxCores];
u32 g_watched_count = 0;
u64 g_waits = 0, g_wakeups = 0;

}  // namespace

void watch_channel(urpc::Endpoint& ep, u32 peer) {
    if (g_watched_count < sizeof g_watched / sizeof g_watched[0]) g_watched[g_watched_count++] = {&ep, peer, ep.sent()};
}

void wake_peers() {
    for (u32 i = 0; i < g_watched_count; ++i) {
        Watched& w = g_watched[i];
        if (w.ep->sent() == w.last_sent) continue;
        w.last_sent = w.ep->sent();
        if (w.ep->peer_needs_wakeup()) {
            (void)user::invoke(kKernel, abi::kKernelWakeCore, w.peer);
            ++g_wakeups;
        }
    }
}

void idle_wait() {
    wake_peers();
    u32 failed = 0;
    if (!programs_ended(failed) || !services_ended()) {  // a program may be waiting for us: its requests are only polled
        user::yield();
        return;
    }
    // A conversation in progress needs no IPI per message: look for a while
    // before announcing the wait (as the CPU drivers' idle loops do).
    u64 until = rdtsc() + frame().tsc_hz / 20000;  // 50 us
    while (rdtsc() < until) {
        for (u32 i = 0; i < g_watched_count; ++i) {
            if (g_watched[i].ep->has_message()) return;
        }
        asm volatile("pause");
    }
    for (u32 i = 0; i < g_watched_count; ++i) g_watched[i].ep->set_waiting(true);
    bool pending = false;
    for (u32 i = 0; i < g_watched_count && !pending; ++i) pending = g_watched[i].ep->has_message();
    if (!pending) {
        ++g_waits;
        (void)user::syscall(abi::kSysWaitEvent, 1);
    }
    for (u32 i = 0; i < g_watched_count; ++i) g_watched[i].ep->set_waiting(false);
}

}  // namespace mk::monitor
