// Scheduler activations, the CPU driver's side (Anderson et al.; Barrelfish's
// dispatcher frame): how a dispatcher that stops running continues, run and
// fault upcalls, and the two ways back from disabled mode. The CPU driver
// protects; the domain's runtime decides what runs (which thread, what a
// fault means). See lib/abi/syscalls.hpp and docs/user-level.md.
#include "dispatcher.hpp"

#include "fpu.hpp"
#include "layout.h"
#include "mem/page_table.hpp"
#include "paging.hpp"
#include "user_access.hpp"
#include "x86.hpp"

namespace mk {
namespace {

bool user_address(u64 a) { return a != 0 && a < mem::kUserTop; }

void save(abi::UserRegisters& r, const TrapFrame& f) {
    r = {f.rax, f.rbx, f.rcx, f.rdx, f.rsi, f.rdi, f.rbp, f.rsp, f.r8,  f.r9,
         f.r10, f.r11, f.r12, f.r13, f.r14, f.r15, f.rip, f.rflags};
}

// Registers that came from user memory: whatever they say, the frame they
// make returns to user mode with interrupts on.
void load(TrapFrame& f, const abi::UserRegisters& r) {
    f.rax = r.rax; f.rbx = r.rbx; f.rcx = r.rcx; f.rdx = r.rdx;
    f.rsi = r.rsi; f.rdi = r.rdi; f.rbp = r.rbp; f.rsp = r.rsp;
    f.r8 = r.r8;   f.r9 = r.r9;   f.r10 = r.r10; f.r11 = r.r11;
    f.r12 = r.r12; f.r13 = r.r13; f.r14 = r.r14; f.r15 = r.r15;
    f.rip = r.rip;
    // Keep the arithmetic flags and DF; force IF on, and IOPL 0, TF, NT, AC, VM off.
    f.rflags = (r.rflags & 0xCD5) | 0x202;
    f.cs = USER_CODE_SELECTOR;
    f.ss = USER_DATA_SELECTOR;
}

// Registers a dispatcher may not resume with: IRETQ to a non-canonical RIP
// would fault in the CPU driver, not in the domain.
bool resumable(const abi::UserRegisters& r) { return user_address(r.rip) && r.rsp < mem::kUserTop; }

}  // namespace

abi::DispatcherFrame& Dispatcher::shared() const {
    return *static_cast<abi::DispatcherFrame*>(paging::phys_to_virt(frame));
}

bool has_activations(const Dispatcher& d) {
    const abi::DispatcherFrame& df = d.shared();
    return user_address(df.run_entry) && user_address(df.upcall_stack_top) && df.upcall_stack_top >= 64;
}

void save_user_state(Dispatcher& d, const TrapFrame& f) {
    // (Scheduler::save_current handles the system-call case inline, the same way.)
    // A system call that gives the core away (yield, a blocking call, a
    // handoff) returns normally when the dispatcher runs again: the caller is
    // in the middle of a call and its result goes into these registers. Only
    // an interruption the dispatcher did not ask for becomes an activation.
    if (f.vector == kVectorSyscall || !has_activations(d)) {
        d.context = f;
        return;
    }
    abi::DispatcherFrame& df = d.shared();
    if (df.disabled != 0) {
        // Inside the runtime's own critical code: it continues exactly there.
        save(df.disabled_area, f);
        ++df.disabled_preemptions;
        d.context = f;  // the selectors; the registers come from disabled_area
        d.resume_disabled = true;
        return;
    }
    // Enabled: the runtime gets the registers and the choice of what runs
    // next. It is disabled from here until it resumes a thread
    // (kSysResumeEnabled), so a second preemption cannot overwrite
    // enabled_area before the runtime has taken it.
    save(df.enabled_area, f);
    df.disabled = 1;
    ++df.run_upcalls;
    u64 stack = df.upcall_stack_top;  // read once; has_activations checked it
    init_user_context(d.context, df.run_entry, (stack & ~u64{15}) - 8, 0, 0);
}

void load_user_state(Dispatcher& d, TrapFrame& f) {
    f = d.context;
    if (!d.resume_disabled) return;
    d.resume_disabled = false;
    // The runtime may have edited the area while it was not running (that is
    // what it is for): read it once and sanitise it. A RIP or RSP outside the
    // user half becomes 0, so the domain faults (while disabled: it ends)
    // instead of IRETQ faulting in the CPU driver.
    abi::UserRegisters r = d.shared().disabled_area;
    if (!resumable(r)) r.rip = r.rsp = 0;
    load(f, r);
}

FaultOutcome deliver_fault_upcall(Dispatcher& d, TrapFrame& f, u64 fault_address) {
    abi::DispatcherFrame& df = d.shared();
    u64 handler = df.fault_handler, stack = df.fault_stack_top;
    if (handler == 0 || !user_address(handler) || !user_address(stack) || stack < 64) return FaultOutcome::NoHandler;
    if (df.in_fault != 0) return FaultOutcome::InHandler;
    // A fault in the runtime's critical code cannot be handed to the runtime:
    // its state is inconsistent by definition (Barrelfish ends such a domain too).
    bool activations = has_activations(d);
    if (activations && df.disabled != 0) return FaultOutcome::WhileDisabled;
    save(df.saved, f);
    // The running dispatcher owns the FPU (Scheduler::load), so its registers
    // hold the interrupted context's state: keep it for kSysResume, so the
    // handler is free to use SSE.
    x86::fxsave(&df.fault_fpu);
    df.in_fault = 1;
    if (activations) df.disabled = 1;  // the handler runs disabled: preemption resumes it directly
    df.fault_vector = f.vector;
    df.fault_error = f.error_code;
    df.fault_address = fault_address;
    ++df.faults_delivered;
    f.rip = handler;
    f.rsp = (stack & ~u64{15}) - 8;  // as if called: the ABI's alignment
    f.rdi = f.vector;
    f.rsi = fault_address;
    f.rdx = f.error_code;
    f.rflags = 0x202;
    return FaultOutcome::Delivered;
}

Error resume_from_upcall(Dispatcher& d, TrapFrame& f) {
    abi::DispatcherFrame& df = d.shared();
    if (df.in_fault == 0) return Error::InvalidArgument;
    const abi::UserRegisters r = df.saved;  // read once: the domain may still write the page
    if (!resumable(r)) return Error::OutOfRange;
    load(f, r);
    fpu::restore_untrusted(df.fault_fpu);
    df.in_fault = 0;
    df.disabled = 0;  // faults are only delivered while enabled: resume as we were
    return Error::Ok;
}

Error resume_enabled(Dispatcher& d, TrapFrame& f, u64 regs) {
    abi::UserRegisters r;
    Status s = copy_from_user(&r, regs, sizeof r);
    if (!s.ok()) return s.error();
    if (!resumable(r)) return Error::OutOfRange;
    // Checked; now perform. The CPU driver runs with interrupts off, so
    // enabling and loading the registers are one step as far as the domain
    // can tell: no preemption can see the flag clear with the runtime's
    // registers still loaded, or the thread's registers with the flag set.
    load(f, r);
    d.shared().disabled = 0;
    return Error::Ok;
}

}  // namespace mk
