// Ending a run: QEMU's isa-debug-exit device turns a port write into QEMU's
// exit status, which the launcher maps back to success or failure.
#pragma once

namespace mk::power {

enum class Status { Success, Failure };

// Never returns. Without the debug-exit device (real hardware) the core halts.
[[noreturn]] void exit(Status status);

}  // namespace mk::power
