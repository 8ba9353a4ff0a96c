// Fault upcalls and resumption, the scheduler-activation side of dispatchers:
// the CPU driver protects, the domain's own handler decides what a fault
// means (lazy allocation, a guard page, a bug). See lib/abi/syscalls.hpp.
#include "dispatcher.hpp"

#include "layout.h"
#include "mem/page_table.hpp"
#include "paging.hpp"

namespace mk {
namespace {

bool user_address(u64 a) { return a != 0 && a < mem::kUserTop; }

void save(abi::UserRegisters& r, const TrapFrame& f) {
    r = {f.rax, f.rbx, f.rcx, f.rdx, f.rsi, f.rdi, f.rbp, f.rsp, f.r8,  f.r9,
         f.r10, f.r11, f.r12, f.r13, f.r14, f.r15, f.rip, f.rflags};
}

}  // namespace

abi::DispatcherFrame& Dispatcher::shared() const {
    return *static_cast<abi::DispatcherFrame*>(paging::phys_to_virt(frame));
}

bool deliver_fault_upcall(Dispatcher& d, TrapFrame& f, u64 fault_address) {
    abi::DispatcherFrame& df = d.shared();
    u64 handler = df.fault_handler, stack = df.fault_stack_top;
    if (handler == 0 || df.in_fault != 0) return false;
    if (!user_address(handler) || !user_address(stack) || stack < 64) return false;
    save(df.saved, f);
    df.in_fault = 1;
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
    return true;
}

Error resume_from_upcall(Dispatcher& d, TrapFrame& f) {
    abi::DispatcherFrame& df = d.shared();
    if (df.in_fault == 0) return Error::InvalidArgument;
    const abi::UserRegisters r = df.saved;  // read once: the domain may still write the page
    if (!user_address(r.rip) || r.rsp >= mem::kUserTop) return Error::OutOfRange;
    f.rax = r.rax; f.rbx = r.rbx; f.rcx = r.rcx; f.rdx = r.rdx;
    f.rsi = r.rsi; f.rdi = r.rdi; f.rbp = r.rbp; f.rsp = r.rsp;
    f.r8 = r.r8;   f.r9 = r.r9;   f.r10 = r.r10; f.r11 = r.r11;
    f.r12 = r.r12; f.r13 = r.r13; f.r14 = r.r14; f.r15 = r.r15;
    f.rip = r.rip;
    // Keep the arithmetic flags; force IF on, and IOPL 0, TF, NT, AC, VM off.
    f.rflags = (r.rflags & 0xCD5) | 0x202;
    f.cs = USER_CODE_SELECTOR;
    f.ss = USER_DATA_SELECTOR;
    df.in_fault = 0;
    return Error::Ok;
}

}  // namespace mk
