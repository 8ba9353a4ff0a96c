// Error messages in the form `file:line: error: message`, printed sorted by
// line once the whole file has been checked, so one run reports every
// unsupported construct of a schema.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "plugin/source_map.hpp"

namespace urpcgen {

class Diagnostics {
public:
    // `display` is the file name printed in messages; `map` may be null when
    // the source could not be read, and then messages carry no line.
    Diagnostics(std::string display, const SourceMap* map)
        : display_(std::move(display)), map_(map) {}

    // An error at the declaration with this scoped name (see SourceMap).
    void error(const std::vector<std::string>& path, const std::string& message);
    // An error at the first line containing `text`.
    void error_at_text(const std::string& text, const std::string& message);

    bool any() const { return !entries_.empty(); }
    void print(std::ostream& out) const;

private:
    struct Entry {
        int line;
        size_t seq;
        std::string message;
    };
    void add(int line, const std::string& message);

    std::string display_;
    const SourceMap* map_;
    std::vector<Entry> entries_;
};

}  // namespace urpcgen
