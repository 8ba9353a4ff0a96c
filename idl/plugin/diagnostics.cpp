// Collection and printing of diagnostics (diagnostics.hpp).
#include "plugin/diagnostics.hpp"

#include <algorithm>

namespace urpcgen {

void Diagnostics::add(int line, const std::string& message) {
    for (const Entry& e : entries_) {
        if (e.line == line && e.message == message) return;  // reported once
    }
    entries_.push_back({line, entries_.size(), message});
}

void Diagnostics::error(const std::vector<std::string>& path, const std::string& message) {
    add(map_ != nullptr ? map_->line_of(path) : 0, message);
}

void Diagnostics::error_at_text(const std::string& text, const std::string& message) {
    add(map_ != nullptr ? map_->line_containing(text) : 0, message);
}

void Diagnostics::print(std::ostream& out) const {
    std::vector<Entry> sorted = entries_;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const Entry& a, const Entry& b) { return a.line < b.line; });
    for (const Entry& e : sorted) {
        out << display_;
        if (e.line > 0) out << ':' << e.line;
        out << ": error: " << e.message << '\n';
    }
}

}  // namespace urpcgen
