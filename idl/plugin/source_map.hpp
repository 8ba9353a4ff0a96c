// Line numbers for diagnostics. A CodeGeneratorRequest carries no source
// positions, so the plugin reads the schema file itself and records where
// each declaration is: `struct|interface|enum|const|annotation Name`,
// `name @N` members (fields, enumerants, methods), method parameters inside
// `(...)` and results after `->`, named groups and unions, and the first
// unnamed `union {` of a scope. A declaration is then found by its scoped
// name, e.g. {"Boot", "ping$Params", "payload"} (docs/idl.md, "Errors").
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace urpcgen {

class SourceMap {
public:
    // Reads and indexes the file; false if it cannot be read.
    bool load(const std::string& path);
    // Indexes schema text directly (for tests).
    void parse(const std::string& text);

    // The 1-based line of the declaration at `path`; if part of the path is
    // not found, the line of its deepest enclosing declaration; 0 if none.
    int line_of(const std::vector<std::string>& path) const;
    // The first line that contains `text`, or 0.
    int line_containing(const std::string& text) const;

private:
    struct Scope {
        int line = 0;
        std::map<std::string, std::unique_ptr<Scope>> children;
    };
    struct Token {
        enum Kind { Ident, Ordinal, Punct, Other } kind;
        std::string text;
        int line;
    };

    static std::vector<Token> tokenize(const std::string& text);
    static Scope* add(Scope* parent, const std::string& name, int line);
    // Records `IDENT :` parameters between the '(' at tokens[i] and its ')'.
    static size_t parse_params(const std::vector<Token>& t, size_t i, Scope* scope);

    Scope root_;
    std::vector<std::string> lines_;
};

}  // namespace urpcgen
