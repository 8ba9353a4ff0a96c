// I/O port capabilities: a domain may read and write exactly the ports its
// capability covers, one access per invocation (the CPU driver does the IN or
// OUT; user code keeps IOPL 0).
#include "capsys/core_caps.hpp"

namespace mk::capsys {

InvokeResult invoke_io(CoreCaps&, const Invocation& inv) {
    const caps::Capability& c = inv.cap.cap();
    u64 port = inv.a[0], width = inv.a[1];
    if (width != 1 && width != 2 && width != 4) return {Error::InvalidArgument, 0};
    if (port < c.io_first() || port + width > c.io_first() + c.io_count()) return {Error::NoRights, 0};
    auto p = static_cast<u16>(port);
    switch (inv.method) {
        case abi::kIoIn: {
            u32 v = 0;
            if (width == 1) {
                u8 b;
                asm volatile("inb %1, %0" : "=a"(b) : "Nd"(p));
                v = b;
            } else if (width == 2) {
                u16 w;
                asm volatile("inw %1, %0" : "=a"(w) : "Nd"(p));
                v = w;
            } else {
                asm volatile("inl %1, %0" : "=a"(v) : "Nd"(p));
            }
            return {Error::Ok, v};
        }
        case abi::kIoOut: {
            u64 v = inv.a[2];
            if (width == 1) asm volatile("outb %0, %1" ::"a"(static_cast<u8>(v)), "Nd"(p));
            else if (width == 2) asm volatile("outw %0, %1" ::"a"(static_cast<u16>(v)), "Nd"(p));
            else asm volatile("outl %0, %1" ::"a"(static_cast<u32>(v)), "Nd"(p));
            return {Error::Ok, 0};
        }
        default: return {Error::UnknownMethod, 0};
    }
}

}  // namespace mk::capsys
