// System-call dispatch (lib/abi/syscalls.hpp has the numbers and the register
// convention). Each handler checks all of its arguments before acting, and
// reports errors in RAX, so nothing a domain passes can take the kernel down.
#include "abi/caps.hpp"
#include "abi/syscalls.hpp"
#include "capsys/core_caps.hpp"
#include "console.hpp"
#include "core.hpp"
#include "dispatcher.hpp"
#include "domains.hpp"
#include "traps.hpp"
#include "user_access.hpp"

namespace mk {
namespace {

void set_result(TrapFrame& f, Error e, u64 value = 0) {
    f.rax = static_cast<u64>(e);
    f.rdx = value;
}

void sys_print(TrapFrame& f) {
    usize len = f.rsi;
    if (len > abi::kMaxPrint) return set_result(f, Error::TooLong);
    if (len == 0) return set_result(f, Error::Ok, 0);  // nothing to print
    char text[abi::kMaxPrint + 1];
    Status s = copy_from_user(text, f.rdi, len);
    if (!s.ok()) return set_result(f, s.error());
    text[len] = '\0';
    for (usize i = 0; i < len; ++i) {
        // One call, one line, and nothing that could drive a terminal.
        if (text[i] < ' ' || text[i] > '~') text[i] = text[i] == '\n' ? ' ' : '?';
    }
    Dispatcher* d = this_core().scheduler.current();
    console::log("%s: %s", d != nullptr ? d->name : "?", text);
    set_result(f, Error::Ok, len);
}

}  // namespace

extern "C" void syscall_dispatch(TrapFrame* frame) {
    TrapFrame& f = *frame;
    Scheduler& sched = this_core().scheduler;
    switch (f.rax) {
        case abi::kSysPrint: sys_print(f); break;
        case abi::kSysExit:
            end_current_domain(static_cast<int>(f.rdi), nullptr);
            sched.reschedule(f);
            break;
        case abi::kSysYield:
            set_result(f, Error::Ok);
            sched.reschedule(f);
            break;
        case abi::kSysResume: {
            Dispatcher* d = sched.current();
            Error e = d != nullptr ? resume_from_upcall(*d, f) : Error::InvalidArgument;
            if (e != Error::Ok) set_result(f, e);  // on success the frame is the resumed context
            break;
        }
        case abi::kSysResumeEnabled: {
            Dispatcher* d = sched.current();
            Error e = d != nullptr ? resume_enabled(*d, f, f.rdi) : Error::InvalidArgument;
            if (e != Error::Ok) set_result(f, e);  // on success the frame is the resumed context
            break;
        }
        case abi::kSysWaitEvent: {
            Core& c = this_core();
            Dispatcher* d = sched.current();
            if (d == nullptr) {
                set_result(f, Error::InvalidArgument);
            } else if (c.event_pending) {
                c.event_pending = false;
                set_result(f, Error::Ok);
            } else if (f.rdi == 0) {
                set_result(f, Error::Timeout);
            } else if (c.event_waiter != nullptr && c.event_waiter != d) {
                set_result(f, Error::Busy);
            } else {
                set_result(f, Error::Timeout);  // unless an event comes first (signal_event)
                c.event_waiter = d;
                c.event_deadline = c.timer_ticks + (f.rdi > 1000 ? 1000 : f.rdi);
                d->state = DispatcherState::Blocked;
                sched.reschedule(f);
            }
            break;
        }
        case abi::kSysNull: set_result(f, Error::Ok); break;
        case abi::kSysInvoke: capsys::sys_invoke(f); break;
        case abi::kSysCall: capsys::sys_call(f); break;
        case abi::kSysReplyRecv: capsys::sys_reply_recv(f); break;
        case abi::kSysReply: capsys::sys_reply(f); break;
        case abi::kSysCoreInfo:
            set_result(f, Error::Ok, this_core().number | (u64{core_count()} << 32));
            break;
        default: set_result(f, Error::InvalidArgument); break;
    }
}

}  // namespace mk
