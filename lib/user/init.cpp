// Runs the constructors of a domain's global objects (.init_array, which
// lib/user/user.ld collects) before domain_main.
using Constructor = void (*)();
extern "C" Constructor __init_array_start[];
extern "C" Constructor __init_array_end[];

extern "C" void run_constructors() {
    for (Constructor* c = __init_array_start; c < __init_array_end; ++c) (*c)();
}
