// Same-core protected control transfer (lib/abi/caps.hpp): call an Endpoint
// and wait for the reply, or serve one: reply to the last caller and wait for
// the next. Seven words travel in registers, with at most one capability.
#pragma once

#include "abi/caps.hpp"
#include "abi/syscalls.hpp"
#include "user/syscall.hpp"

namespace mk::user {

struct Message {
    u64 w[abi::kMessageWords];
};

struct Received {
    Error error;
    u64 badge;
    bool got_cap;
    Message m;
};

inline Error call(u32 endpoint, Message& m, u64 send_cap = abi::kNoCap) {
    u64 rax = abi::kSysCall;
    register u64 r10 asm("r10") = m.w[1];
    register u64 r8 asm("r8") = m.w[2];
    register u64 r9 asm("r9") = m.w[3];
    register u64 r12 asm("r12") = m.w[4];
    register u64 r13 asm("r13") = m.w[5];
    register u64 r14 asm("r14") = m.w[6];
    u64 rdx = m.w[0], rsi = send_cap;
    asm volatile("syscall"
                 : "+a"(rax), "+d"(rdx), "+S"(rsi), "+r"(r10), "+r"(r8), "+r"(r9), "+r"(r12), "+r"(r13), "+r"(r14)
                 : "D"(u64{endpoint})
                 : "rcx", "r11", "rbx", "memory");
    m = {{rdx, r10, r8, r9, r12, r13, r14}};
    return static_cast<Error>(rax);
}

inline Received reply_recv(u32 endpoint, const Message& reply, u64 receive_slot = abi::kNoCap) {
    u64 rax = abi::kSysReplyRecv, rbx;
    register u64 r10 asm("r10") = reply.w[1];
    register u64 r8 asm("r8") = reply.w[2];
    register u64 r9 asm("r9") = reply.w[3];
    register u64 r12 asm("r12") = reply.w[4];
    register u64 r13 asm("r13") = reply.w[5];
    register u64 r14 asm("r14") = reply.w[6];
    u64 rdx = reply.w[0], rsi = receive_slot;
    asm volatile("syscall"
                 : "+a"(rax), "=b"(rbx), "+d"(rdx), "+S"(rsi), "+r"(r10), "+r"(r8), "+r"(r9), "+r"(r12), "+r"(r13),
                   "+r"(r14)
                 : "D"(u64{endpoint})
                 : "rcx", "r11", "memory");
    return {static_cast<Error>(rax), rbx, rsi == 1, {{rdx, r10, r8, r9, r12, r13, r14}}};
}

// Answers the last caller without waiting for another call.
inline Error reply(const Message& m) {
    u64 rax = abi::kSysReply;
    register u64 r10 asm("r10") = m.w[1];
    register u64 r8 asm("r8") = m.w[2];
    register u64 r9 asm("r9") = m.w[3];
    register u64 r12 asm("r12") = m.w[4];
    register u64 r13 asm("r13") = m.w[5];
    register u64 r14 asm("r14") = m.w[6];
    u64 rdx = m.w[0];
    asm volatile("syscall"
                 : "+a"(rax), "+d"(rdx), "+r"(r10), "+r"(r8), "+r"(r9), "+r"(r12), "+r"(r13), "+r"(r14)
                 :
                 : "rcx", "r11", "rsi", "rdi", "memory");
    return static_cast<Error>(rax);
}

}  // namespace mk::user
