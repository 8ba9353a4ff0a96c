// The serial console for the shell (docs/services/shell.md). Core 0's
// monitor holds every I/O port (kTaskIo); the program the boot command line
// names run=shell gets COM1's eight ports and nothing more: an Io capability
// retyped from the monitor's, in its task slot kTaskConsole. The CPU driver
// keeps writing its own lines to the same UART (under its console lock),
// so the shell's output and the kernel's may interleave line by line.
#include "monitor.hpp"
#include "user/syscall.hpp"

namespace mk::monitor {

namespace {
constexpr u64 kCom1 = 0x3F8;
constexpr u32 kCom1PortsLog2 = 3;  // 8 ports: data, IER, IIR/FCR, LCR, MCR, LSR, MSR, scratch
constexpr u32 kConsoleAddress = abi::cap_address(abi::kTaskCNode, abi::kTaskConsole);
}  // namespace

Status grant_console(u32 child_root) {
    if (g_self.core != 0) return Error::Unsupported;  // the UART's ports are core 0's monitor's to give
    static u32 ports = 0;  // made once: a second retype of the same range is refused
    if (ports == 0) {
        u32 slot = TRY(g_self.slots->next());
        Error e = user::retype(kIo, CapType::Io, kCom1PortsLog2, 1, kCom1, slot);
        if (e != Error::Ok) {
            user::printf("cannot give the shell the console: %s", error_name(e));
            return e;
        }
        ports = slot;
    }
    return place_in_child(child_root, kConsoleAddress, ports);
}

}  // namespace mk::monitor
