// See line_editor.hpp.
#include "shell/line_editor.hpp"

namespace mk::shell {

void LineEditor::erase_one(Echo& echo) {
    if (length_ == 0) return;
    buf_[--length_] = '\0';
    echo.put("\b \b");
}

LineEditor::Event LineEditor::feed(char c, Echo& echo) {
    bool was_cr = after_cr_;
    after_cr_ = false;
    // Cursor and function keys: ESC [ parameters final-byte (ECMA-48), or ESC and one byte.
    if (escape_ == Escape::Esc) {
        escape_ = c == '[' ? Escape::Csi : Escape::None;
        return Event::None;
    }
    if (escape_ == Escape::Csi) {
        if (c >= 0x40 && c <= 0x7e) escape_ = Escape::None;
        return Event::None;
    }
    switch (c) {
        case '\r':
        case '\n':
            if (c == '\n' && was_cr) return Event::None;
            after_cr_ = c == '\r';
            for (usize i = 0; i <= length_; ++i) done_[i] = buf_[i];
            length_ = 0;
            buf_[0] = '\0';
            echo.put("\r\n");
            return Event::Line;
        case kBackspace:
        case kDelete:
            erase_one(echo);
            return Event::None;
        case kCtrlU:
            while (length_ > 0) erase_one(echo);
            return Event::None;
        case kCtrlC:
            length_ = 0;
            buf_[0] = '\0';
            echo.put("^C\r\n");
            return Event::Interrupt;
        case kCtrlD:
            if (length_ != 0) return Event::None;
            return Event::EndOfInput;
        case kEsc:
            escape_ = Escape::Esc;
            return Event::None;
        case '\t':
            c = ' ';
            break;
        default:
            break;
    }
    if (c < ' ' || c > '~') return Event::None;  // other control bytes and non-ASCII: ignored
    if (length_ == kMaxLine) {
        echo.put('\a');  // full: ring the bell, keep the line
        return Event::None;
    }
    buf_[length_++] = c;
    buf_[length_] = '\0';
    echo.put(c);
    return Event::None;
}

}  // namespace mk::shell
