// Reading user memory from the CPU driver. Every user pointer is checked
// against the running domain's own page table before a byte is touched: the
// whole range must be mapped, user-accessible and below the canonical hole.
// So a bad pointer gets an error, never a kernel page fault. With SMAP on,
// the copy runs inside STAC/CLAC (SDM 3A, 4.6).
#pragma once

#include "base/result.hpp"

namespace mk {

// Turns on SMEP and SMAP when the CPU has them; returns which.
void enable_user_protection(bool& smep, bool& smap);

Status copy_from_user(void* dst, u64 user_src, usize len);
// The whole destination range must be mapped writable for the user.
Status copy_to_user(u64 user_dst, const void* src, usize len);

}  // namespace mk
