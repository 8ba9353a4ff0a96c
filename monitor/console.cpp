// The serial console for the shell (docs/services/shell.md). Core 0's
// monitor holds every I/O port (kTaskIo); the program the boot command line
// names run=shell gets a copy of that Io capability in its task slot
// kTaskConsole. It should get COM1's eight ports only, but the CPU driver
// retypes nothing but RAM and Frames today (its retype path prepares memory,
// which an Io range is not), so narrowing waits for Io retype there; the
// shell touches COM1's ports only (services/shell/serial.hpp).
#include "monitor.hpp"
#include "user/syscall.hpp"

namespace mk::monitor {

namespace {
constexpr u32 kConsoleAddress = abi::cap_address(abi::kTaskCNode, abi::kTaskConsole);
}  // namespace

Status grant_console(u32 child_root) {
    if (g_self.core != 0) return Error::Unsupported;  // the UART is core 0's monitor's to give
    Status s = place_in_child(child_root, kConsoleAddress, kIo);
    if (!s.ok()) user::printf("cannot give the shell the console: %s", error_name(s.error()));
    return s;
}

}  // namespace mk::monitor
