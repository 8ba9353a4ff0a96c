// An application processor's life: out of the trampoline, it tells the BSP it
// runs, becomes an independent CPU driver, reports ready, and then serves its
// mailbox; once told to, it runs its own monitor and keeps serving the
// mailbox from timer ticks and its idle loop.
#include "boot/mailbox.hpp"
#include "console.hpp"
#include "core_setup.hpp"
#include "domains.hpp"
#include "lapic.hpp"
#include "paging.hpp"
#include "smp.hpp"
#include "test_faults.hpp"
#include "tsc.hpp"
#include "x86.hpp"

namespace mk {
namespace {

}  // namespace

// This core's end of its boot mailbox and its progress, in its own memory,
// reached through its Core.
struct ApState {
    boot::MailboxEnd mailbox;
    const boot::BootInfo* boot_info;
    bool domains_started;
    bool reported_ended;
};

namespace {

ApState& state() { return *this_core().ap_state; }

void send(boot::MailboxEnd& end, const boot::Mail& m) {
    while (!end.try_send(m)) cpu_relax();
}

[[noreturn]] void run_domains();

// Handles one message if one is waiting. Returns false when there was none.
bool serve_one() {
    ApState& s = state();
    boot::Mail m{};
    if (!s.mailbox.try_recv(m)) return false;
    switch (m.kind) {
        case boot::kMailPing: send(s.mailbox, {boot::kMailPong, {m.arg[0]}}); break;
        case boot::kMailStop:
            send(s.mailbox, {boot::kMailStopped, {this_core().timer_ticks}});
            x86::halt_forever();
        case boot::kMailTestFault: trigger_test_fault(static_cast<TestFault>(m.arg[0])); break;
        case boot::kMailStartDomains:
            if (!s.domains_started) run_domains();
            break;
        default: console::log("mailbox: unknown message kind %lu ignored", m.kind); break;
    }
    return true;
}

// Polled on every timer tick while domains run.
void poll_mail() { serve_one(); }

// The idle loop's hook: serve mail, report once that all domains ended, and
// announce sleep so the BSP knows to send an IPI with its next message.
void idle_hook() {
    ApState& s = state();
    s.mailbox.announce_awake();
    while (serve_one()) {
    }
    if (s.domains_started && this_core().scheduler.live() == 0 && !s.reported_ended) {
        s.reported_ended = true;
        send(s.mailbox, {boot::kMailDomainsEnded, {this_core().number}});
    }
    s.mailbox.announce_sleep();
    if (s.mailbox.has_mail()) s.mailbox.announce_awake();  // the loop comes round again at once
}

[[noreturn]] void run_domains() {
    ApState& s = state();
    s.domains_started = true;
    start_core_domains(*s.boot_info);
    auto idle_stack = this_core().memory.alloc(2);
    if (!idle_stack.ok()) panic("no memory for the idle stack");
    this_core().poll_mail = poll_mail;
    this_core().scheduler.start(reinterpret_cast<u64>(paging::phys_to_virt(*idle_stack)) + 2 * kPageSize, idle_hook);
}

}  // namespace

extern "C" [[noreturn]] void ap_main(smp::ApBootParams* params) {
    boot::MailboxEnd mailbox = boot::MailboxEnd::core_side(params->mailbox);
    send(mailbox, {boot::kMailAlive, {params->number}});

    CoreSetup setup{params->number,          params->apic_id,        params->stack_bottom, params->stack_top,
                    params->double_fault_stack_top, params->nmi_stack_top, params->timer_count};
    Core& core = setup_core(setup, params->memory);
    if (lapic::id() != core.apic_id) console::log("warning: APIC id %u, MADT said %u", lapic::id(), core.apic_id);
    auto page = core.memory.alloc();
    if (!page.ok()) panic("no memory for the mailbox state");
    core.ap_state = new (paging::phys_to_virt(*page)) ApState{mailbox, params->boot_info, false, false};
    x86::sti();
    send(state().mailbox, {boot::kMailReady, {core.apic_id, core.memory.free_bytes()}});

    // Until domains start, this core only serves its mailbox (sleeping between messages).
    for (;;) {
        x86::cli();
        idle_hook();
        x86::sti_hlt();
    }
}

}  // namespace mk
