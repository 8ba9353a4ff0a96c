// COM1 output with whole-line atomicity; see console.hpp.
#include "console.hpp"

#include "base/atomic.hpp"
#include "base/format.hpp"
#include "core.hpp"
#include "x86.hpp"

namespace mk::console {
namespace {

constexpr u16 kCom1 = 0x3F8;

// 0 when free, otherwise the holder's core number + 1. A core that faults
// while it holds the lock can still print its report.
u32 g_owner = 0;

u32 self_tag() { return core_number() + 1; }

// Takes the lock unless this core already holds it. A bounded spin: a core
// that died while holding it must not silence the others forever.
bool acquire() {
    u32 me = self_tag();
    if (load_relaxed(&g_owner) == me) return false;
    for (u64 spins = 0; spins < (u64{1} << 22); ++spins) {
        u32 expected = 0;
        if (compare_exchange(&g_owner, expected, me)) return true;
        cpu_relax();
    }
    store_release(&g_owner, me);  // the holder is stuck: take over
    return true;
}

void release() { store_release(&g_owner, 0u); }

void put_char(char c) {
    // Wait for the transmit holding register to empty (LSR bit 5), bounded.
    for (int i = 0; i < 100000 && (x86::inb(kCom1 + 5) & 0x20) == 0; ++i) cpu_relax();
    x86::outb(kCom1, static_cast<u8>(c));
}

void write_line(const char* s) {
    for (; *s != '\0'; ++s) {
        if (*s == '\n') put_char('\r');
        put_char(*s);
    }
}

}  // namespace

void init() {
    x86::outb(kCom1 + 1, 0x00);  // no UART interrupts
    x86::outb(kCom1 + 3, 0x80);  // DLAB on
    x86::outb(kCom1 + 0, 0x01);  // divisor 1: 115200 baud
    x86::outb(kCom1 + 1, 0x00);
    x86::outb(kCom1 + 3, 0x03);  // 8N1, DLAB off
    x86::outb(kCom1 + 2, 0xC7);  // FIFO on, cleared
    x86::outb(kCom1 + 4, 0x03);  // DTR, RTS
}

void log(const char* fmt, ...) {
    char buf[320];
    LineBuffer line(buf, sizeof buf);
    line.append("[c%u] ", core_number());
    va_list ap;
    va_start(ap, fmt);
    line.vappend(fmt, ap);
    va_end(ap);
    if (line.size() == 0 || buf[line.size() - 1] != '\n') line.append("\n");
    if (line.truncated()) buf[sizeof buf - 2] = '\n';
    bool taken = acquire();
    write_line(buf);
    if (taken) release();
}

Hold::Hold() : taken_(acquire()) {}
Hold::~Hold() {
    if (taken_) release();
}

}  // namespace mk::console
