// Per-core state installation; see core.hpp.
#include "core.hpp"

#include "x86.hpp"

namespace mk {
namespace {
// Written once by the BSP before any other core runs; read-only afterwards.
bool g_percore_ready = false;
}  // namespace

bool percore_ready() { return g_percore_ready; }

u32 core_number() { return g_percore_ready ? this_core().number : 0; }

void install_core(Core& core) {
    core.self = &core;
    x86::wrmsr(x86::kMsrGsBase, reinterpret_cast<u64>(&core));
    if (core.number == 0) g_percore_ready = true;  // the BSP, before any AP runs
}

}  // namespace mk
