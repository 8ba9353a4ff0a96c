// A small scanner of Cap'n Proto schema text that maps declarations to lines
// (source_map.hpp). It only needs to find names, not to check the grammar:
// capnp has parsed the file successfully before the plugin runs.
#include "plugin/source_map.hpp"

#include <cctype>
#include <fstream>
#include <sstream>

namespace urpcgen {

namespace {

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

}  // namespace

bool SourceMap::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::stringstream ss;
    ss << in.rdbuf();
    parse(ss.str());
    return true;
}

std::vector<SourceMap::Token> SourceMap::tokenize(const std::string& s) {
    std::vector<Token> out;
    int line = 1;
    size_t i = 0;
    while (i < s.size()) {
        char c = s[i];
        if (c == '\n') {
            ++line;
            ++i;
        } else if (std::isspace(static_cast<unsigned char>(c)) != 0) {
            ++i;
        } else if (c == '#') {
            while (i < s.size() && s[i] != '\n') ++i;
        } else if (c == '"' || c == '\'') {
            size_t j = i + 1;
            while (j < s.size() && s[j] != c && s[j] != '\n') j += s[j] == '\\' ? 2 : 1;
            out.push_back({Token::Other, s.substr(i, j + 1 - i), line});
            i = j + 1;
        } else if (ident_start(c)) {
            size_t j = i;
            while (j < s.size() && ident_char(s[j])) ++j;
            out.push_back({Token::Ident, s.substr(i, j - i), line});
            i = j;
        } else if (c == '@') {
            size_t j = i + 1;
            while (j < s.size() && ident_char(s[j])) ++j;
            out.push_back({Token::Ordinal, s.substr(i, j - i), line});
            i = j;
        } else if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
            size_t j = i;
            while (j < s.size() && (ident_char(s[j]) || s[j] == '.')) ++j;
            out.push_back({Token::Other, s.substr(i, j - i), line});
            i = j;
        } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '>') {
            out.push_back({Token::Punct, "->", line});
            i += 2;
        } else {
            out.push_back({Token::Punct, std::string(1, c), line});
            ++i;
        }
    }
    return out;
}

SourceMap::Scope* SourceMap::add(Scope* parent, const std::string& name, int line) {
    auto& slot = parent->children[name];
    if (!slot) {
        slot = std::make_unique<Scope>();
        slot->line = line;
    }
    return slot.get();
}

size_t SourceMap::parse_params(const std::vector<Token>& t, size_t i, Scope* scope) {
    int depth = 0;
    for (; i < t.size(); ++i) {
        const Token& k = t[i];
        if (k.kind == Token::Punct && (k.text == "(" || k.text == "[")) {
            ++depth;
        } else if (k.kind == Token::Punct && (k.text == ")" || k.text == "]")) {
            if (--depth == 0) return i + 1;
        } else if (depth == 1 && k.kind == Token::Ident && i + 1 < t.size() &&
                   t[i + 1].kind == Token::Punct && t[i + 1].text == ":") {
            add(scope, k.text, k.line);
        }
    }
    return i;
}

void SourceMap::parse(const std::string& text) {
    lines_.clear();
    std::stringstream ss(text);
    for (std::string l; std::getline(ss, l);) lines_.push_back(l);

    std::vector<Token> t = tokenize(text);
    auto is = [&](size_t k, Token::Kind kind, const char* s = nullptr) {
        return k < t.size() && t[k].kind == kind && (s == nullptr || t[k].text == s);
    };
    // Scopes opened by '{'; an unnamed union or an unknown block reuses its parent.
    std::vector<Scope*> stack{&root_};
    Scope* pending = nullptr;
    for (size_t i = 0; i < t.size(); ++i) {
        Scope* cur = stack.back();
        const Token& k = t[i];
        if (k.kind == Token::Ident && is(i + 1, Token::Ident) &&
            (k.text == "struct" || k.text == "interface" || k.text == "enum")) {
            pending = add(cur, t[i + 1].text, t[i + 1].line);
            ++i;
        } else if (k.kind == Token::Ident && is(i + 1, Token::Ident) &&
                   (k.text == "const" || k.text == "annotation")) {
            add(cur, t[i + 1].text, t[i + 1].line);
            ++i;
        } else if (k.kind == Token::Ident && k.text == "union" && is(i + 1, Token::Punct, "{")) {
            add(cur, "union", k.line);
        } else if (k.kind == Token::Ident && is(i + 1, Token::Ordinal)) {
            add(cur, k.text, k.line);
            size_t j = i + 2;
            if (is(j, Token::Punct, "[")) {  // generic method parameters
                while (j < t.size() && !is(j, Token::Punct, "]")) ++j;
                ++j;
            }
            if (is(j, Token::Punct, "(")) {
                j = parse_params(t, j, add(cur, k.text + "$Params", k.line));
                if (is(j, Token::Punct, "->") && is(j + 1, Token::Punct, "(")) {
                    j = parse_params(t, j + 1, add(cur, k.text + "$Results", k.line));
                }
            }
            i = j - 1;
        } else if (k.kind == Token::Ident && is(i + 1, Token::Punct, ":") &&
                   (is(i + 2, Token::Ident, "group") || is(i + 2, Token::Ident, "union"))) {
            pending = add(cur, k.text, k.line);
            i += 2;
        } else if (k.kind == Token::Punct && k.text == "{") {
            stack.push_back(pending != nullptr ? pending : cur);
            pending = nullptr;
        } else if (k.kind == Token::Punct && k.text == "}") {
            if (stack.size() > 1) stack.pop_back();
        }
    }
}

int SourceMap::line_of(const std::vector<std::string>& path) const {
    const Scope* s = &root_;
    int line = 0;
    for (const std::string& name : path) {
        auto it = s->children.find(name);
        if (it == s->children.end()) break;
        s = it->second.get();
        line = s->line;
    }
    return line;
}

int SourceMap::line_containing(const std::string& text) const {
    for (size_t i = 0; i < lines_.size(); ++i) {
        if (lines_[i].find(text) != std::string::npos) return static_cast<int>(i + 1);
    }
    return 0;
}

}  // namespace urpcgen
