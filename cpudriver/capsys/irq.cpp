// IRQ capabilities: one ISA interrupt line each. The line is a device input
// of the I/O APIC, which core 0's CPU driver alone programs, so the
// invocations work on core 0 only (elsewhere: Unsupported). A connected line
// is routed to core 0; when it fires, the CPU driver masks it and counts it;
// the holder learns of it with kIrqPending (polling or after a yield),
// services its device and unmasks the line with kIrqAck. Deliberately
// small: delivery as a message upcall comes with the services that need it.
#include "capsys/core_caps.hpp"
#include "core.hpp"
#include "ioapic.hpp"
#include "lapic.hpp"

namespace mk::capsys {
namespace {

// Core 0's record of its lines (no other core touches it).
struct Line {
    bool connected;
    u32 pending;  // interrupts since the holder last asked
};
Line g_lines[ioapic::kIsaLines];

}  // namespace

void irq_fired(u32 line) {
    if (line >= ioapic::kIsaLines) return;
    (void)ioapic::set_masked(line, true);  // until the holder acknowledges it
    ++g_lines[line].pending;
}

InvokeResult invoke_irq(CoreCaps&, const Invocation& inv) {
    u64 number = inv.cap.cap().irq();
    if (inv.method < abi::kIrqConnect || inv.method > abi::kIrqDisconnect) return {Error::UnknownMethod, 0};
    if (this_core().number != 0 || !ioapic::present()) return {Error::Unsupported, 0};
    if (number >= ioapic::kIsaLines) return {Error::OutOfRange, 0};
    auto line = static_cast<u32>(number);
    Line& l = g_lines[line];
    switch (inv.method) {
        case abi::kIrqConnect: {
            if (l.connected) return {Error::Busy, 0};
            Status s = ioapic::route(line, this_core().apic_id, false);
            if (!s.ok()) return {s.error(), 0};
            l = Line{true, 0};
            return {Error::Ok, 0};
        }
        case abi::kIrqPending: {
            if (!l.connected) return {Error::InvalidArgument, 0};
            u32 n = l.pending;
            l.pending = 0;
            return {Error::Ok, n};
        }
        case abi::kIrqAck: {
            if (!l.connected) return {Error::InvalidArgument, 0};
            Status s = ioapic::set_masked(line, false);
            return {s.ok() ? Error::Ok : s.error(), 0};
        }
        default: {  // kIrqDisconnect
            if (!l.connected) return {Error::InvalidArgument, 0};
            (void)ioapic::set_masked(line, true);
            l = Line{};
            return {Error::Ok, 0};
        }
    }
}

}  // namespace mk::capsys
