// User-level threads on scheduler activations. The CPU driver schedules
// dispatchers; this runtime schedules threads inside one dispatcher. When the
// timer preempts the dispatcher while a thread runs (enabled), the CPU driver
// saves the thread's registers in the dispatcher frame and, when the
// dispatcher runs again, upcalls the runtime (disabled, on its own stack)
// instead of resuming: the runtime puts the thread at the back of its run
// queue and resumes the next one, round robin. Threads also switch when they
// yield, block (join, Mutex) or exit. Each thread has its own x87/SSE state.
//
// Critical code runs disabled (DispatcherFrame::disabled): a preemption then
// resumes it where it was, so the run queue is never seen half-changed. The
// way back to a thread is kSysResumeEnabled, which enables and loads the
// thread's registers in one step (docs/user-level.md has the reasoning).
//
// One dispatcher per domain may use this runtime (its state is global), the
// one that calls init.
#pragma once

#include "abi/syscalls.hpp"
#include "base/result.hpp"
#include "user/vm.hpp"

namespace mk::user::threads {

struct Thread;
using Entry = u64 (*)(u64 arg);

inline constexpr usize kMaxThreads = 32;      // the main thread included
inline constexpr u64 kStackPages = 4;         // 16 KiB per thread, below an unmapped guard page

// Makes the caller the main thread of the dispatcher whose frame is `frame`
// and starts taking run upcalls. Stacks for `threads` further threads are
// made now, from `space`, in [stack_area, stack_area + threads * 5 pages), so
// that creating a thread later never allocates (and cannot race with the
// domain's own use of `space`).
Status init(abi::DispatcherFrame& frame, AddressSpace& space, u64 stack_area, usize threads);

// A new thread runs entry(arg) (queued at the back); its return value is its
// exit code. Full when every stack is in use (a joined thread's is reused).
Result<Thread*> create(Entry entry, u64 arg);
// Lets the next runnable thread run; returns at once if there is none.
void yield();
// Ends the calling thread with `code` (for join). From the main thread: ends the domain.
[[noreturn]] void exit(u64 code);
// Waits until `t` has ended; returns its code and frees it. InvalidArgument
// for the calling thread itself, or a thread already joined or being joined.
Result<u64> join(Thread* t);

Thread* self();
u32 id(const Thread* t);  // 0 = the main thread
// Thread switches so far (preemptions, yields, blocks and exits).
u64 switches();

// Enter and leave the runtime's critical code (see above); for code that
// builds on the runtime, such as the Mutex.
void disable();
void enable();

// A sleeping lock: a thread that finds it held waits in its queue without
// spinning, and unlock hands it straight to the first waiter (FIFO).
class Mutex {
public:
    void lock();
    bool try_lock();
    void unlock();  // by the owner only

private:
    Thread* owner_ = nullptr;
    Thread* head_ = nullptr;  // waiters, in arrival order
    Thread* tail_ = nullptr;
};

}  // namespace mk::user::threads
