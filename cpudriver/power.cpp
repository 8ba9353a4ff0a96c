// See power.hpp.
#include "power.hpp"

#include "layout.h"
#include "x86.hpp"

namespace mk::power {

[[noreturn]] void exit(Status status) {
    x86::outl(DEBUG_EXIT_PORT, status == Status::Success ? DEBUG_EXIT_SUCCESS : DEBUG_EXIT_FAILURE);
    x86::halt_forever();
}

}  // namespace mk::power
