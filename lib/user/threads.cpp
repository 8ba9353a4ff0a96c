// The user-level thread runtime; see threads.hpp. Everything that changes the
// run queue, a wait queue or a thread's state runs disabled, so the run
// upcall (which also runs disabled, and only ever interrupts enabled code)
// never sees it half-done.
#include "user/threads.hpp"

#include <cstddef>

#include "user/console.hpp"
#include "user/syscall.hpp"
#include "user/threads_layout.h"

namespace mk::user::threads {

enum class State : u8 { Free, Runnable, Running, Blocked, Exited };

struct alignas(16) Thread {
    abi::UserRegisters regs;  // while not running: what kSysResumeEnabled loads
    u64 pad[2];
    abi::FpuState fpu;        // while not running: its x87/SSE state
    Thread* next;             // link in the run queue or in one wait queue
    Thread* joiner;           // the thread waiting in join for this one
    Entry entry;
    u64 arg;
    u64 exit_code;
    u64 stack_top;            // 0: the main thread, on the domain's own stack
    u32 id;
    State state;
    bool joining;             // someone is waiting for (or has claimed) its end
};
static_assert(offsetof(Thread, regs) == THREAD_RAX);
static_assert(offsetof(Thread, regs.rbx) == THREAD_RBX && offsetof(Thread, regs.rbp) == THREAD_RBP);
static_assert(offsetof(Thread, regs.rsp) == THREAD_RSP && offsetof(Thread, regs.r12) == THREAD_R12);
static_assert(offsetof(Thread, regs.r13) == THREAD_R13 && offsetof(Thread, regs.r14) == THREAD_R14);
static_assert(offsetof(Thread, regs.r15) == THREAD_R15 && offsetof(Thread, regs.rip) == THREAD_RIP);
static_assert(offsetof(Thread, regs.rflags) == THREAD_RFLAGS && offsetof(Thread, fpu) == THREAD_FPU);
static_assert(SYS_RESUME_ENABLED == abi::kSysResumeEnabled);

}  // namespace mk::user::threads

using mk::user::threads::Thread;

// Shared with threads_switch.S.
extern "C" {
Thread* threads_current;  // the running thread (while enabled: the one a preemption interrupts)
__attribute__((returns_twice)) int threads_save_context(Thread* t);
[[noreturn]] void threads_resume(const Thread* t);
void threads_run_upcall_entry();
[[noreturn]] void threads_run_upcall();
}

namespace mk::user::threads {
namespace {

Thread g_pool[kMaxThreads];
usize g_stacks = 0;  // pool slots 1..g_stacks have a stack
abi::DispatcherFrame* g_frame = nullptr;
Thread* g_run_head = nullptr;
Thread* g_run_tail = nullptr;
u32 g_next_id = 1;
u64 g_switches = 0;
alignas(16) u8 g_upcall_stack[16384];

volatile u64& disabled_flag() { return *reinterpret_cast<volatile u64*>(&g_frame->disabled); }

void enqueue(Thread* t) {
    t->next = nullptr;
    if (g_run_tail != nullptr) g_run_tail->next = t;
    else g_run_head = t;
    g_run_tail = t;
}

Thread* dequeue() {
    Thread* t = g_run_head;
    if (t != nullptr) {
        g_run_head = t->next;
        if (g_run_head == nullptr) g_run_tail = nullptr;
    }
    return t;
}

void make_runnable(Thread* t) {
    t->state = State::Runnable;
    enqueue(t);
}

// Disabled. Resumes the first runnable thread; the current one must already
// be queued where it belongs (run queue, a wait queue) or have ended.
[[noreturn]] void run_next() {
    Thread* t = dequeue();
    if (t == nullptr) {
        // Nothing can wake a thread but another thread of this dispatcher.
        printf("threads: every thread is blocked: the dispatcher ends");
        user::exit(-1);
    }
    t->state = State::Running;
    threads_current = t;
    ++g_switches;
    threads_resume(t);
}

// Disabled, with the current thread queued or blocked: runs another thread
// and returns, enabled, once this one is resumed.
void switch_away() {
    if (threads_save_context(threads_current) == 0) run_next();
}

[[noreturn]] void thread_start(Thread* t) { exit(t->entry(t->arg)); }

}  // namespace

void disable() {
    disabled_flag() = 1;
    asm volatile("" ::: "memory");  // nothing the critical code does moves above this
}

void enable() {
    asm volatile("" ::: "memory");  // nor below this
    disabled_flag() = 0;
}

Status init(abi::DispatcherFrame& frame, AddressSpace& space, u64 stack_area, usize threads) {
    if (g_frame != nullptr) return Error::Busy;
    if (threads + 1 > kMaxThreads) return Error::OutOfRange;
    // Stacks first, while there are no other threads to race with over `space`.
    for (usize i = 1; i <= threads; ++i) {
        u64 base = stack_area + (i - 1) * (kStackPages + 1) * 4096;  // the page below base stays a guard
        for (u64 p = 1; p <= kStackPages; ++p) TRY_STATUS(space.map_new_page(base + p * 4096));
        g_pool[i].stack_top = base + (kStackPages + 1) * 4096;
    }
    g_stacks = threads;
    g_frame = &frame;
    disable();  // nothing to upcall into until the state below is complete
    Thread* main = &g_pool[0];
    main->state = State::Running;
    main->id = 0;
    threads_current = main;
    frame.upcall_stack_top = reinterpret_cast<u64>(g_upcall_stack + sizeof g_upcall_stack);
    frame.run_entry = reinterpret_cast<u64>(&threads_run_upcall_entry);
    enable();  // from here a preemption of this code is a run upcall
    return {};
}

Result<Thread*> create(Entry entry, u64 arg) {
    disable();
    Thread* t = nullptr;
    for (usize i = 1; i <= g_stacks && t == nullptr; ++i) {
        if (g_pool[i].state == State::Free) t = &g_pool[i];
    }
    if (t == nullptr) {
        enable();
        return Error::Full;
    }
    u64 stack_top = t->stack_top;
    *t = Thread{};
    t->stack_top = stack_top;
    t->entry = entry;
    t->arg = arg;
    t->id = g_next_id++;
    // The first resume enters thread_start(t) as if called: RSP + 8 aligned.
    t->regs.rip = reinterpret_cast<u64>(&thread_start);
    t->regs.rsp = stack_top - 8;
    t->regs.rdi = reinterpret_cast<u64>(t);
    t->regs.rflags = 0x202;
    make_runnable(t);  // fpu: the default state (FpuState's initialisers)
    enable();
    return t;
}

void yield() {
    disable();
    if (g_run_head == nullptr) {  // nobody else to run
        enable();
        return;
    }
    make_runnable(threads_current);
    switch_away();
}

void exit(u64 code) {
    Thread* me = threads_current;
    if (me == &g_pool[0]) user::exit(static_cast<int>(code));  // the main thread: the whole domain
    disable();
    me->state = State::Exited;
    me->exit_code = code;
    if (me->joiner != nullptr) make_runnable(me->joiner);
    // Its stack stays untouched until it is joined: run_next only runs on it
    // until the next thread's registers are loaded.
    run_next();
}

Result<u64> join(Thread* t) {
    disable();
    Thread* me = threads_current;
    if (t == nullptr || t == me || t == &g_pool[0] || t->state == State::Free || t->joining) {
        enable();
        return Error::InvalidArgument;
    }
    t->joining = true;
    if (t->state != State::Exited) {
        t->joiner = me;
        me->state = State::Blocked;
        switch_away();  // exit makes us runnable again
        disable();
    }
    u64 code = t->exit_code;
    t->state = State::Free;  // its stack can be given to a new thread
    enable();
    return code;
}

Thread* self() { return threads_current; }
u32 id(const Thread* t) { return t->id; }
u64 switches() { return g_switches; }

void Mutex::lock() {
    disable();
    if (owner_ == nullptr) {
        owner_ = threads_current;
        enable();
        return;
    }
    Thread* me = threads_current;
    me->next = nullptr;
    if (tail_ != nullptr) tail_->next = me;
    else head_ = me;
    tail_ = me;
    me->state = State::Blocked;
    switch_away();  // unlock made us the owner before waking us
}

bool Mutex::try_lock() {
    disable();
    bool got = owner_ == nullptr;
    if (got) owner_ = threads_current;
    enable();
    return got;
}

void Mutex::unlock() {
    disable();
    Thread* w = head_;
    if (w != nullptr) {
        head_ = w->next;
        if (head_ == nullptr) tail_ = nullptr;
        make_runnable(w);
    }
    owner_ = w;  // handed over, so a third thread cannot take it in between
    enable();
}

}  // namespace mk::user::threads

// Disabled, on the upcall stack; threads_switch.S has already saved the
// preempted thread's x87/SSE state. Its registers are in enabled_area.
extern "C" void threads_run_upcall() {
    using namespace mk::user::threads;
    Thread* me = threads_current;
    asm volatile("" ::: "memory");  // the CPU driver wrote the frame behind the compiler's back
    me->regs = g_frame->enabled_area;
    make_runnable(me);  // at the back: round robin
    run_next();
}
