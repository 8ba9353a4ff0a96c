// Capabilities through IDL calls between programs on different cores: the
// last part of captest (caprpc.cpp). Prints the CAPRPC line; 0 on success.
#pragma once

#include "user/monitor_link.hpp"
#include "user/vm.hpp"

namespace mk::guest_test {

int run_cap_rpc(user::MonitorLink& link, user::AddressSpace& space, user::SlotAllocator& slots, u32 core, u32 cores);

}  // namespace mk::guest_test
