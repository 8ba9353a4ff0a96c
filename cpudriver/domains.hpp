// User domains as the CPU driver sees them at this stage: it loads each
// core's monitor from the "monitor" boot module into a fresh address space
// on that core, and ends a domain that exits or faults, alone.
#pragma once

#include "base/result.hpp"
#include "boot/boot_info.hpp"
#include "traps.hpp"

namespace mk {

// Loads the ELF image of boot module `name` into a new address space on this
// core and makes it runnable. NotFound when there is no such module.
struct Dispatcher;
Status start_domain_from_module(const boot::BootInfo& info, const char* name, Dispatcher** started = nullptr,
                                PhysAddr monitor_channel = 0);

// Hands all but a small kernel reserve of this core's free memory to its
// monitor, as RAM capabilities.
Status grant_remaining_ram(Dispatcher& monitor);

// Starts this core's domains: its monitor, and with `test` on the kernel
// command line the in-guest test programs. Errors are reported, not fatal.
void start_core_domains(const boot::BootInfo& info, PhysAddr monitor_channel);

// Ends the running domain: exit (fault == nullptr) or killed for a fault,
// with a report of the fault (`how` is appended to the fault's name). The
// kernel and other domains carry on.
void end_current_domain(int code, const TrapFrame* fault, const char* how = "");

// The number of cores that booted (read-only after boot).
u32 core_count();
void set_core_count(u32 n);

}  // namespace mk
