// The monitor: the first user domain on every core. For now it reports that
// user level is up on its core; it will hold the Kernel capability, build the
// monitor-to-monitor channel mesh and start the services (docs/architecture.md).
#include "user/console.hpp"

extern "C" int domain_main(mk::u32 core, mk::u32 cores) {
    mk::user::printf("up in user mode on core %u of %u", core, cores);
    return 0;
}
