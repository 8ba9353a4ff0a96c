// Fault reports: an unexpected exception or a panic prints the core, the
// vector, the error code, every register and a symbolised backtrace on the
// serial console, then stops the machine with the failure status, so that a
// test harness can never mistake a crash for a pass.
#include "base/format.hpp"
#include "console.hpp"
#include "core.hpp"
#include "ksyms.hpp"
#include "power.hpp"
#include "traps.hpp"
#include "x86.hpp"

namespace mk {
namespace {

}  // namespace

const char* exception_name(u64 v) {
    static const char* const names[] = {
        "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound range",
        "#UD invalid opcode", "#NM device not available", "#DF double fault", "coprocessor overrun",
        "#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
        "#PF page fault", "reserved", "#MF x87 error", "#AC alignment check", "#MC machine check",
        "#XM SIMD error", "#VE virtualization", "#CP control protection"};
    if (v < sizeof names / sizeof names[0]) return names[v];
    return "unexpected vector";
}

namespace {

// A return address points after its call, which may be past the end of a
// function whose last instruction is a call to a noreturn function: look up
// the byte before it (as debuggers do), and report the offset of the address itself.
void print_address(const char* label, u64 address, bool is_return_address) {
    u64 probe = is_return_address ? address - 1 : address;
    ksyms::Symbol s = ksyms::lookup(probe);
    u64 offset = s.offset + (is_return_address ? 1 : 0);
    if (s.name != nullptr) console::log("  %s %016lx  %s+0x%lx", label, address, s.name, offset);
    else console::log("  %s %016lx  ?", label, address);
}

// Prints the faulting instruction (when there is one, `rip` != 0), then walks
// the RBP chain while it stays inside this core's kernel stack: a corrupt
// frame pointer ends the walk instead of faulting again.
void print_backtrace(u64 rip, u64 rbp) {
    console::log("backtrace:");
    int depth = 0;
    if (rip != 0) {
        print_address("#0", rip, false);
        ++depth;
    }
    u64 lo = 0, hi = 0;
    if (percore_ready()) {
        lo = this_core().stack_bottom;
        hi = this_core().stack_top;
    }
    for (; depth < 24; ++depth) {
        if (rbp == 0 || rbp % 8 != 0) break;
        if (hi != 0 && (rbp < lo || rbp + 16 > hi)) break;
        auto* frame = reinterpret_cast<const u64*>(rbp);
        u64 ret = frame[1];
        if (ret == 0) break;
        char label[8];
        format(label, sizeof label, "#%d", depth);
        print_address(label, ret, true);
        if (frame[0] <= rbp) break;  // frames must move up the stack
        rbp = frame[0];
    }
}

}  // namespace

[[noreturn]] void report_fault(const TrapFrame& f) {
    x86::cli();
    {
        console::Hold hold;
        console::log("FAULT core=%u vector=%lu (%s) error=0x%lx", core_number(), f.vector, exception_name(f.vector),
                     f.error_code);
        console::log("  rip=%016lx cs=%04lx rflags=%016lx", f.rip, f.cs, f.rflags);
        console::log("  rsp=%016lx ss=%04lx cr2=%016lx cr3=%016lx", f.rsp, f.ss, x86::read_cr2(), x86::read_cr3());
        console::log("  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx", f.rax, f.rbx, f.rcx, f.rdx);
        console::log("  rsi=%016lx rdi=%016lx rbp=%016lx r8 =%016lx", f.rsi, f.rdi, f.rbp, f.r8);
        console::log("  r9 =%016lx r10=%016lx r11=%016lx r12=%016lx", f.r9, f.r10, f.r11, f.r12);
        console::log("  r13=%016lx r14=%016lx r15=%016lx", f.r13, f.r14, f.r15);
        print_backtrace(f.rip, f.rbp);
        console::log("FAILED: unexpected exception on core %u", core_number());
    }
    power::exit(power::Status::Failure);
}

[[noreturn]] void panic(const char* why) {
    x86::cli();
    {
        console::Hold hold;
        console::log("PANIC core=%u: %s", core_number(), why);
        print_backtrace(0, x86::read_rbp());
        console::log("FAILED: panic on core %u", core_number());
    }
    power::exit(power::Status::Failure);
}

}  // namespace mk
