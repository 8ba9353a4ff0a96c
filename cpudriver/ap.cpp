// An application processor's life: out of the trampoline, it tells the BSP it
// runs, becomes an independent CPU driver, reports ready, and then serves its
// mailbox until told to stop.
#include "boot/mailbox.hpp"
#include "console.hpp"
#include "core_setup.hpp"
#include "lapic.hpp"
#include "smp.hpp"
#include "test_faults.hpp"
#include "tsc.hpp"
#include "x86.hpp"

namespace mk {
namespace {

// Polls the mailbox for a short while, then halts until a wake-up IPI (or
// the next timer tick), so idle cores leave the host's CPUs to busy ones.
boot::Mail wait_for_mail(boot::MailboxEnd& end) {
    const u64 spin_cycles = tsc::us_to_cycles(50);
    for (;;) {
        u64 start = x86::rdtsc();
        while (x86::rdtsc() - start < spin_cycles) {
            boot::Mail m{};
            if (end.try_recv(m)) return m;
            cpu_relax();
        }
        x86::cli();
        end.announce_sleep();
        if (!end.has_mail()) x86::sti_hlt();
        x86::sti();
        end.announce_awake();
    }
}

void send(boot::MailboxEnd& end, const boot::Mail& m) {
    while (!end.try_send(m)) cpu_relax();
}

}  // namespace

extern "C" [[noreturn]] void ap_main(smp::ApBootParams* params) {
    auto mailbox = boot::MailboxEnd::core_side(params->mailbox);
    send(mailbox, {boot::kMailAlive, {params->number}});

    CoreSetup setup{params->number,          params->apic_id,        params->stack_bottom, params->stack_top,
                    params->double_fault_stack_top, params->nmi_stack_top, params->timer_count};
    Core& core = setup_core(setup, params->memory);
    if (lapic::id() != core.apic_id) console::log("warning: APIC id %u, MADT said %u", lapic::id(), core.apic_id);
    x86::sti();
    send(mailbox, {boot::kMailReady, {core.apic_id, core.memory.free_bytes()}});

    for (;;) {
        boot::Mail m = wait_for_mail(mailbox);
        switch (m.kind) {
            case boot::kMailPing:
                send(mailbox, {boot::kMailPong, {m.arg[0]}});
                break;
            case boot::kMailStop:
                send(mailbox, {boot::kMailStopped, {core.timer_ticks}});
                x86::halt_forever();
            case boot::kMailTestFault:
                trigger_test_fault(static_cast<TestFault>(m.arg[0]));
                break;
            default:
                console::log("mailbox: unknown message kind %lu ignored", m.kind);
                break;
        }
    }
}

}  // namespace mk
