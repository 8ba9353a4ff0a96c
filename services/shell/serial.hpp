// The shell's serial console: COM1 (a 16550 UART) through the Io capability
// core 0's monitor puts in the task slot kTaskConsole (monitor/console.cpp).
// Every port access is an invocation; the CPU driver does the IN or OUT.
//
// Input is polled: the line status register's data-ready bit, with a yield
// between looks (docs/services/shell.md says why not the IRQ capability).
// Bytes that arrive while a command runs are kept (type-ahead), but Ctrl-C
// is taken out at once: it interrupts the command.
#pragma once

#include "abi/caps.hpp"
#include "user/caps.hpp"

namespace mk::shell {

class Serial {
public:
    // Whether the console capability is there (an Io capability over COM1).
    bool present() const {
        abi::CapIdentity id{};
        return user::identify(kPorts, id) == Error::Ok && id.type == u64(user::CapType::Io);
    }

    // The next received byte, from the type-ahead first; false if none.
    bool read(char& c) {
        if (head_ != tail_) {
            c = ahead_[head_++ % kAhead];
            return true;
        }
        return receive(c);
    }

    // While a command runs: true once Ctrl-C arrived; other bytes are kept.
    bool interrupted() {
        char c;
        while (receive(c)) {
            if (c == 0x03) return true;
            if (tail_ - head_ < kAhead) ahead_[tail_++ % kAhead] = c;
        }
        return false;
    }

    void put(char c) {
        // Wait for the transmit holding register (LSR bit 5), bounded.
        for (int i = 0; i < 100000 && (in(kLsr) & 0x20) == 0; ++i) asm volatile("pause");
        out(0, static_cast<u8>(c));
    }
    void write(const char* s, usize n) {
        for (usize i = 0; i < n; ++i) {
            if (s[i] == '\n') put('\r');
            put(s[i]);
        }
    }

private:
    static constexpr u32 kPorts = abi::cap_address(abi::kTaskCNode, abi::kTaskConsole);
    static constexpr u64 kCom1 = 0x3F8, kLsr = 5;
    static constexpr u32 kAhead = 256;

    static u64 in(u64 reg) { return user::invoke(kPorts, abi::kIoIn, kCom1 + reg, 1).value; }
    static void out(u64 reg, u64 v) { (void)user::invoke(kPorts, abi::kIoOut, kCom1 + reg, 1, v); }
    static bool receive(char& c) {
        if ((in(kLsr) & 1) == 0) return false;  // LSR bit 0: data ready
        c = static_cast<char>(in(0));
        return true;
    }

    char ahead_[kAhead] = {};
    u32 head_ = 0, tail_ = 0;
};

}  // namespace mk::shell
