// The checks every monitor makes at boot: its Kernel capability refuses
// every bad request with a named error and changes nothing, and (core 0)
// an IRQ capability delivers a real device interrupt. Every QEMU boot test
// requires their summary lines (docs/monitor.md).
#include "monitor.hpp"
#include "user/syscall.hpp"

namespace mk::monitor {

using namespace mk::user;

void Checks::expect(Error got, Error want, const char* what) {
    ++run;
    if (got == want) return;
    ++failed;
    printf("%s check failed: %s: %s, expected %s", topic, what, error_name(got), error_name(want));
}

void Checks::that(bool holds, const char* what) {
    ++run;
    if (holds) return;
    ++failed;
    printf("%s check failed: %s", topic, what);
}

u32 Checks::report() const {
    printf("%s checks: %u passed, %u failed", topic, run - failed, failed);
    return failed;
}

// COM1's interrupt line, for real: the monitor connects its IRQ capability,
// makes the UART raise the line (transmitter-empty interrupts on), sees the
// interrupt counted, and puts everything back. Core 0 only (the other cores'
// monitors hold no IRQ capabilities).
u32 check_irq() {
    Checks c{"irq"};
    constexpr u32 kCom1Line = abi::cap_address(abi::kIrqCNode, 4);
    constexpr u64 kCom1 = 0x3F8, kIer = kCom1 + 1, kIir = kCom1 + 2, kMcr = kCom1 + 4;
    auto in = [](u64 port) { return invoke(kIo, abi::kIoIn, port, 1).value; };
    auto out = [](u64 port, u64 v) { (void)invoke(kIo, abi::kIoOut, port, 1, v); };
    abi::CapIdentity id{};
    c.that(identify(kCom1Line, id) == Error::Ok && id.type == u64(CapType::Irq) && id.word == 4, "IRQ capability of line 4");
    c.expect(invoke(kCom1Line, abi::kIrqPending).error, Error::InvalidArgument, "pending before connect");
    c.expect(invoke(kCom1Line, 95).error, Error::UnknownMethod, "an unknown IRQ method");
    c.expect(invoke(kCom1Line, abi::kIrqConnect).error, Error::Ok, "connect COM1's line");
    c.expect(invoke(kCom1Line, abi::kIrqConnect).error, Error::Busy, "connect twice");
    u64 ier = in(kIer), mcr = in(kMcr);
    out(kMcr, mcr | 8);  // OUT2 gates the UART's interrupt onto the ISA line on PCs
    out(kIer, ier | 2);  // interrupt when the transmit register is empty, which it soon is
    u64 seen = 0, until = rdtsc() + frame().tsc_hz;  // one second at most
    while (seen == 0 && rdtsc() < until) {
        seen += invoke(kCom1Line, abi::kIrqPending).value;
        yield();
    }
    out(kIer, ier);
    out(kMcr, mcr);
    (void)in(kIir);  // reading IIR clears the transmitter-empty condition
    c.that(seen >= 1, "COM1's interrupt arrived and was counted");
    c.expect(invoke(kCom1Line, abi::kIrqAck).error, Error::Ok, "acknowledge");
    c.expect(invoke(kCom1Line, abi::kIrqDisconnect).error, Error::Ok, "disconnect");
    c.expect(invoke(kCom1Line, abi::kIrqAck).error, Error::InvalidArgument, "acknowledge after disconnect");
    c.expect(invoke(abi::cap_address(abi::kIrqCNode, 15), abi::kIrqDisconnect).error, Error::InvalidArgument,
             "disconnect a line never connected");
    return c.report();
}

// Each bad invocation must fail with its named error and change nothing
// (docs/monitor.md). Returns the number of checks that did not hold.
u32 check_kernel_refusals() {
    Checks c{"kernel-cap"};
    auto expect = [&c](Error got, Error want, const char* what) { c.expect(got, want, what); };
    abi::CapIdentity ram{};
    (void)identify(g_self.general, ram);
    auto create = [](u64 slot, u64 type, u64 rights, u64 base, u64 bytes) {
        return invoke(kKernel, abi::kKernelCapCreate, slot, type | (rights << 8), base, bytes).error;
    };
    u32 free_slot = g_self.slots->next().value_or(0);
    u64 frame = u64(CapType::Frame), rw = kRead | kWrite;
    expect(create(g_self.general, frame, rw, 64 << 20, kPageSize), Error::SlotOccupied, "capCreate into a full slot");
    expect(create(free_slot, u64(CapType::Endpoint), rw, 64 << 20, kPageSize), Error::WrongType, "capCreate of an Endpoint");
    expect(create(free_slot, frame, rw, (64 << 20) + 8, kPageSize), Error::OutOfRange, "capCreate unaligned");
    expect(create(free_slot, frame, rw, 0, kPageSize), Error::OutOfRange, "capCreate in low memory");
    expect(create(free_slot, frame, rw, ~u64{0} << 12, kPageSize), Error::OutOfRange, "capCreate beyond memory");
    expect(create(free_slot, frame, 0x10, 64 << 20, kPageSize), Error::InvalidArgument, "capCreate with bad rights");
    expect(create(free_slot, frame, rw, ram.base, kPageSize), Error::Overlap, "capCreate over this core's own RAM");
    expect(create(free_slot, frame, rw, 0x100000, kPageSize), Error::NoRights, "capCreate of the kernel image");
    expect(invoke(kKernel, abi::kKernelMarkRemote, kKernel).error, Error::WrongType, "markRemote of the Kernel capability");
    // A Pml4 from another core (a domain that spans cores, docs/shootdown.md):
    // one page, holding exactly this core's kernel half.
    u64 pml4 = u64(CapType::Pml4);
    expect(create(free_slot, pml4, rw, 64 << 20, 2 * kPageSize), Error::InvalidArgument, "capCreate of an 8 KiB Pml4");
    abi::CapIdentity zeroed{};
    (void)identify(g_self.ram->make(u32(CapType::Frame), 12).value_or(0), zeroed);
    expect(create(free_slot, pml4, rw, zeroed.base, kPageSize), Error::InvalidArgument,
           "capCreate of a Pml4 without this core's kernel half");
    expect(invoke(kKernel, abi::kKernelFlushTlb, 0x1008, 1).error, Error::InvalidArgument, "flushTlb unaligned");
    expect(invoke(kKernel, abi::kKernelFlushTlb, 0x1000, 0).error, Error::InvalidArgument, "flushTlb of no pages");
    expect(invoke(kKernel, abi::kKernelFlushTlb, 0x7FFFFFFFF000, 2).error, Error::OutOfRange,
           "flushTlb beyond the user half");
    expect(invoke(kKernel, abi::kKernelFlushTlb, 0x1000, 1).error, Error::Ok, "flushTlb of a page");
    expect(invoke(kKernel, abi::kKernelFlushTlb, 0x1000, abi::kFlushTlbPageLimit + 1).error, Error::Ok,
           "flushTlb of a long range (the whole TLB)");
    expect(invoke(kKernel, 99).error, Error::UnknownMethod, "an unknown Kernel method");
    expect(invoke(kKernel, abi::kKernelCountInRange, ram.base, 0).error, Error::InvalidArgument, "countInRange of nothing");
    expect(invoke(kKernel, abi::kKernelCountInRange, ~u64{0} << 12, 1 << 13).error, Error::InvalidArgument,
           "countInRange that wraps around");
    {
        // The general block is in its own range (and so is everything made from it).
        user::SyscallResult whole = invoke(kKernel, abi::kKernelCountInRange, ram.base, ram.bytes);
        c.that(whole.error == Error::Ok && whole.value >= 1, "countInRange of the general block counts it");
    }
    expect(invoke(kKernel, abi::kKernelWakeCore, g_self.cores).error, Error::OutOfRange, "wakeCore beyond the cores");
    expect(invoke(kKernel, abi::kKernelWakeCore, g_self.core).error, Error::Ok, "wakeCore of this core");
    expect(syscall(abi::kSysWaitEvent, 100).error, Error::Ok, "a wait ends with the wake, not its deadline");
    abi::CapIdentity empty{};
    expect(identify(free_slot, empty), Error::InvalidCap, "the refused capCreates left the slot empty");
    if (g_self.core != 0) {
        expect(invoke(kKernel, abi::kKernelStartCore, 0, kLinkFrame).error, Error::Unsupported, "startCore off core 0");
    } else {
        u32 frame_cap = g_self.ram->make(u32(CapType::Frame), 12).value_or(0);
        expect(invoke(kKernel, abi::kKernelStartCore, 0, frame_cap).error, Error::OutOfRange, "startCore of core 0");
        expect(invoke(kKernel, abi::kKernelStartCore, g_self.cores, frame_cap).error, Error::OutOfRange, "startCore beyond the cores");
        expect(invoke(kKernel, abi::kKernelStartCore, 1, g_self.general).error, Error::WrongType, "startCore with RAM as channel");
        if (g_self.cores > 1 && g_control[1] != nullptr) {
            expect(invoke(kKernel, abi::kKernelStartCore, 1, frame_cap).error, Error::Busy, "startCore twice");
        }
        abi::CapIdentity id{};
        expect(identify(frame_cap, id), Error::Ok, "the refused channel frame is still there");
        c.that(id.remote == 0, "a refused startCore left its frame unmarked");
    }
    return c.report();
}

}  // namespace mk::monitor
