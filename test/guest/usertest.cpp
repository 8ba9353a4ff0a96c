// The in-guest test suite, run as a user domain on every core (kernel command
// line word `test`). It checks the system-call interface and its error paths,
// fault upcalls and resumption, and finally that a domain's fatal fault ends
// only that domain: its last act is to touch kernel memory.
#include "abi/syscalls.hpp"
#include "user/console.hpp"
#include "user/syscall.hpp"

using namespace mk;
using namespace mk::user;

namespace {

int g_passed = 0, g_failed = 0;

void check(bool ok, const char* name) {
    if (ok) {
        ++g_passed;
    } else {
        ++g_failed;
        printf("TEST FAILED: %s", name);
    }
}

abi::DispatcherFrame& frame() { return *reinterpret_cast<abi::DispatcherFrame*>(abi::kDispatcherFrameAddress); }

// The fault handler: records what it saw and continues at g_resume_at.
volatile u64 g_seen_vector, g_seen_address, g_seen_error, g_resume_at;
alignas(16) u8 g_handler_stack[8192];

extern "C" [[noreturn]] void on_fault(u64 vector, u64 address, u64 error) {
    g_seen_vector = vector;
    g_seen_address = address;
    g_seen_error = error;
    frame().saved.rip = g_resume_at;
    syscall(abi::kSysResume);
    printf("TEST FAILED: resume returned");
    exit(99);
}

void install_handler() {
    frame().fault_handler = reinterpret_cast<u64>(&on_fault);
    frame().fault_stack_top = reinterpret_cast<u64>(g_handler_stack + sizeof g_handler_stack);
}

void test_syscalls(u32 core, u32 cores) {
    const char text[] = "print works";
    check(print(text, sizeof text - 1) == Error::Ok, "print");
    check(print(reinterpret_cast<const char*>(0x10000000), 5) == Error::InvalidArgument, "print: unmapped pointer");
    check(print(reinterpret_cast<const char*>(0xFFFFFFFF80100000), 5) == Error::OutOfRange, "print: kernel pointer");
    check(print(reinterpret_cast<const char*>(0x00007FFFFFFFFFF0), 64) == Error::OutOfRange, "print: beyond user half");
    check(print(text, abi::kMaxPrint + 1) == Error::TooLong, "print: too long");
    // A range that starts on the stack and runs into the unmapped guard page.
    check(print(reinterpret_cast<const char*>(abi::kUserStackTop - 8), 16) == Error::InvalidArgument,
          "print: range into the guard page");
    check(syscall(999).error == Error::InvalidArgument, "unknown system call");
    check(syscall(0).error == Error::InvalidArgument, "system call 0");
    SyscallResult info = syscall(abi::kSysCoreInfo);
    check(info.error == Error::Ok && (info.value & 0xFFFFFFFF) == core && (info.value >> 32) == cores, "core info");
    check(syscall(abi::kSysResume).error == Error::InvalidArgument, "resume outside a fault");
    check(syscall(abi::kSysYield).error == Error::Ok, "yield");
    check(frame().core == core && frame().cores == cores, "dispatcher frame facts");
}

void test_fault_upcalls() {
    install_handler();
    u64 before = frame().faults_delivered;

    // #UD: continue after the two-byte UD2.
    asm volatile("lea 1f(%%rip), %%rax\n mov %%rax, %0\n ud2\n 1:" : "=m"(g_resume_at) : : "rax", "memory");
    check(g_seen_vector == 6, "upcall: #UD delivered");

    // #PF on a read of an unmapped page: the address and a user-mode error code.
    asm volatile("lea 1f(%%rip), %%rax\n mov %%rax, %0\n mov 0x10000000, %%rax\n 1:" : "=m"(g_resume_at) : : "rax", "memory");
    check(g_seen_vector == 14 && g_seen_address == 0x10000000, "upcall: #PF address");
    check((g_seen_error & 0x4) != 0 && (g_seen_error & 0x1) == 0, "upcall: #PF error code (user, not present)");

    // #PF on a write to our own code: present + write.
    asm volatile("lea 1f(%%rip), %%rax\n mov %%rax, %0\n lea 1f(%%rip), %%rax\n movb $0, (%%rax)\n 1:" : "=m"(g_resume_at) : : "rax", "memory");
    check(g_seen_vector == 14 && (g_seen_error & 0x3) == 0x3, "upcall: write to text is refused (W^X)");

    // Executing the stack: an instruction-fetch fault (NX).
    asm volatile(
        "lea 1f(%%rip), %%rax\n mov %%rax, %0\n"
        "sub $16, %%rsp\n movb $0xc3, (%%rsp)\n mov %%rsp, %%rax\n add $16, %%rsp\n call *%%rax\n 1:"
        : "=m"(g_resume_at) : : "rax", "memory");
    check(g_seen_vector == 14 && (g_seen_error & 0x10) != 0, "upcall: stack is not executable (NX)");

    // A non-canonical address: #GP.
    asm volatile("lea 1f(%%rip), %%rax\n mov %%rax, %0\n movabs $0x8000000000000000, %%rax\n mov (%%rax), %%rax\n 1:"
                 : "=m"(g_resume_at) : : "rax", "memory");
    check(g_seen_vector == 13, "upcall: #GP delivered");

    check(frame().faults_delivered == before + 5, "upcall: five faults counted");
    check(frame().in_fault == 0, "upcall: not left in fault state");
    // A resumed context keeps its registers: callee-saved values survive.
    u64 r12 = 0x1234567890ABCDEF, out = 0;
    asm volatile("lea 1f(%%rip), %%rax\n mov %%rax, %1\n mov %2, %%r12\n ud2\n 1:\n mov %%r12, %0"
                 : "=r"(out), "=m"(g_resume_at) : "r"(r12) : "rax", "r12", "memory");
    check(out == r12, "upcall: registers survive a fault and resume");
}

}  // namespace

extern "C" int domain_main(u32 core, u32 cores) {
    test_syscalls(core, cores);
    test_fault_upcalls();
    printf("USERTEST core=%u passed=%d failed=%d", core, g_passed, g_failed);
    // Isolation: with no handler, touching kernel memory ends this domain only.
    frame().fault_handler = 0;
    *reinterpret_cast<volatile u64*>(0xFFFFFFFF80100000) = 1;
    printf("TEST FAILED: wrote to kernel memory");
    return 1;
}
