#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "shell/line_editor.hpp"

using namespace mk;
using namespace mk::shell;

namespace {

// Feeds every byte; returns the events in order and collects the echo.
struct Typing {
    LineEditor editor;
    std::string echoed;
    std::vector<LineEditor::Event> events;
    std::vector<std::string> lines;
    void type(const std::string& bytes) {
        for (char c : bytes) {
            Echo e;
            auto ev = editor.feed(c, e);
            echoed += std::string(e.text, e.length);
            if (ev != LineEditor::Event::None) events.push_back(ev);
            if (ev == LineEditor::Event::Line) lines.emplace_back(editor.line());
        }
    }
};

}  // namespace

TEST_CASE("a line ends at CR, LF or CRLF, once", "[shell]") {
    Typing t;
    t.type("ps\r");
    t.type("mem\n");
    t.type("help\r\n");
    t.type("\r\n");
    REQUIRE(t.lines == std::vector<std::string>{"ps", "mem", "help", ""});
    CHECK(t.echoed == "ps\r\nmem\r\nhelp\r\n\r\n");
}

TEST_CASE("backspace and delete erase the last character on screen and in the line", "[shell]") {
    Typing t;
    t.type("spawm");
    t.type(std::string(1, kBackspace));
    t.type("n");
    t.type(std::string(1, kDelete));
    t.type("n hello\r");
    REQUIRE(t.lines == std::vector<std::string>{"spawn hello"});
    CHECK(t.echoed == "spawm\b \bn\b \bn hello\r\n");
    // Backspace on an empty line echoes nothing.
    Typing empty;
    empty.type(std::string(3, kBackspace));
    CHECK(empty.echoed.empty());
    CHECK(empty.editor.pending_length() == 0);
}

TEST_CASE("Ctrl-U erases the line, Ctrl-C drops it and reports an interrupt", "[shell]") {
    Typing t;
    t.type("abc");
    t.type(std::string(1, kCtrlU));
    CHECK(t.editor.pending_length() == 0);
    CHECK(t.echoed == "abc\b \b\b \b\b \b");
    t.type("xyz");
    t.type(std::string(1, kCtrlC));
    REQUIRE(t.events == std::vector<LineEditor::Event>{LineEditor::Event::Interrupt});
    CHECK(t.editor.pending_length() == 0);
    t.type("ps\r");
    REQUIRE(t.lines == std::vector<std::string>{"ps"});
}

TEST_CASE("Ctrl-D ends the input only on an empty line", "[shell]") {
    Typing t;
    t.type("ab");
    t.type(std::string(1, kCtrlD));
    CHECK(t.events.empty());
    t.type("\r");
    t.type(std::string(1, kCtrlD));
    REQUIRE(t.events.size() == 2);
    CHECK(t.events[1] == LineEditor::Event::EndOfInput);
}

TEST_CASE("cursor-key escape sequences and other control bytes are ignored", "[shell]") {
    Typing t;
    t.type("p\x1b[A\x1b[1;5Cs\x01\x7\r");  // up arrow, ctrl-right, ^A, BEL
    REQUIRE(t.lines == std::vector<std::string>{"ps"});
    CHECK(t.echoed == "ps\r\n");
    Typing tab;
    tab.type("help\tps\r");
    CHECK(tab.lines == std::vector<std::string>{"help ps"});
    Typing high;
    high.type("a\xc3\xa9" "b\r");  // non-ASCII bytes are dropped
    CHECK(high.lines == std::vector<std::string>{"ab"});
}

TEST_CASE("a full line keeps its characters and rings the bell", "[shell]") {
    Typing t;
    t.type(std::string(LineEditor::kMaxLine, 'x'));
    t.type("yz");
    CHECK(t.editor.pending_length() == LineEditor::kMaxLine);
    CHECK(t.echoed.substr(t.echoed.size() - 2) == "\a\a");
    t.type("\r");
    REQUIRE(t.lines.size() == 1);
    CHECK(t.lines[0] == std::string(LineEditor::kMaxLine, 'x'));
}
