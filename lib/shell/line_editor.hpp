// Line editing for a serial console: one received byte at a time in, what to
// echo back and, at the end of a line, the line. Keeps no terminal state
// beyond the line itself, so it works on a dumb terminal (backspace erases
// with "\b \b") and ignores the escape sequences that cursor keys send.
#pragma once

#include "base/types.hpp"

namespace mk::shell {

// What feed() wants written back to the terminal (at most a line's worth).
struct Echo {
    static constexpr usize kCapacity = 512;
    char text[kCapacity + 1] = {};
    usize length = 0;
    void put(char c) {
        if (length < kCapacity) text[length++] = c;
        text[length] = '\0';
    }
    void put(const char* s) {
        while (*s != '\0') put(*s++);
    }
    void clear() {
        length = 0;
        text[0] = '\0';
    }
};

class LineEditor {
public:
    static constexpr usize kMaxLine = 120;
    enum class Event : u8 {
        None,        // keep reading
        Line,        // a line is complete: line()
        Interrupt,   // Ctrl-C: the line was dropped
        EndOfInput,  // Ctrl-D on an empty line: no more input will come
    };

    // One byte from the terminal; what to echo is appended to `echo`.
    Event feed(char c, Echo& echo);
    // The completed line (after Event::Line), valid until the next feed.
    const char* line() const { return done_; }
    // What has been typed so far on the current line.
    const char* pending() const { return buf_; }
    usize pending_length() const { return length_; }

private:
    enum class Escape : u8 { None, Esc, Csi };
    void erase_one(Echo& echo);

    char buf_[kMaxLine + 1] = {};
    char done_[kMaxLine + 1] = {};
    usize length_ = 0;
    bool after_cr_ = false;  // a LF right after a CR ends no second line
    Escape escape_ = Escape::None;
};

// Control characters by name.
inline constexpr char kCtrlC = 0x03, kCtrlD = 0x04, kCtrlU = 0x15, kBackspace = 0x08, kDelete = 0x7f, kEsc = 0x1b;

}  // namespace mk::shell
