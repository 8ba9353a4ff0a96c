// Capability invocations from user domains (lib/abi/caps.hpp has the methods).
#pragma once

#include "abi/caps.hpp"
#include "user/syscall.hpp"

namespace mk::user {

inline SyscallResult invoke(u32 cap, u64 method, u64 a0 = 0, u64 a1 = 0, u64 a2 = 0, u64 a3 = 0) {
    u64 rax = abi::kSysInvoke, rdx = a0;
    register u64 r10 asm("r10") = a1;
    register u64 r8 asm("r8") = a2;
    register u64 r9 asm("r9") = a3;
    asm volatile("syscall"
                 : "+a"(rax), "+d"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
                 : "D"(u64{cap}), "S"(method)
                 : "rcx", "r11", "memory");
    return {static_cast<Error>(rax), rdx};
}

// Capability types, as lib/caps/capability.hpp numbers them.
enum class CapType : u64 { Null = 0, Ram, Frame, CNode, Pml4, Pdpt, Pd, Pt, Dispatcher, Endpoint, Io, Irq, Kernel };
enum Rights : u64 { kRead = 1, kWrite = 2, kExecute = 4, kGrant = 8, kAllRights = 15 };

inline Error identify(u32 cap, abi::CapIdentity& out) {
    return invoke(cap, abi::kCapIdentify, reinterpret_cast<u64>(&out)).error;
}
inline Error retype(u32 src, CapType type, u32 size_log2, u64 count, u64 offset, u32 dest) {
    return invoke(src, abi::kRamRetype, static_cast<u64>(type) | (u64{size_log2} << 8), count, offset, dest).error;
}
inline Error copy(u32 src, u32 dest) { return invoke(src, abi::kCapCopy, dest).error; }
inline Error mint(u32 src, u32 dest, u64 rights, u64 badge = 0) { return invoke(src, abi::kCapMint, dest, rights, badge).error; }
inline Error remove(u32 cap) { return invoke(cap, abi::kCapDelete).error; }
inline Error revoke(u32 cap) { return invoke(cap, abi::kCapRevoke).error; }
inline Error map(u32 table, u64 index, u32 child, u64 flags = 0) { return invoke(table, abi::kVNodeMap, index, child, flags).error; }
inline Error unmap(u32 table, u64 index) { return invoke(table, abi::kVNodeUnmap, index).error; }

}  // namespace mk::user
