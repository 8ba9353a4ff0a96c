// Schema-name to C++-name conversions (names.hpp).
#include "plugin/names.hpp"

#include <cctype>
#include <set>

namespace urpcgen {

namespace {

bool is_upper(char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; }
bool is_lower_or_digit(char c) {
    return std::islower(static_cast<unsigned char>(c)) != 0 ||
           std::isdigit(static_cast<unsigned char>(c)) != 0;
}

}  // namespace

std::string snake_case(const std::string& camel) {
    // "coreReady" -> "core_ready", "parseHTTPHeader" -> "parse_http_header".
    std::string out;
    for (size_t i = 0; i < camel.size(); ++i) {
        char c = camel[i];
        if (is_upper(c) && i > 0) {
            bool after_lower = is_lower_or_digit(camel[i - 1]);
            bool ends_acronym = is_upper(camel[i - 1]) && i + 1 < camel.size() &&
                                std::islower(static_cast<unsigned char>(camel[i + 1])) != 0;
            if (after_lower || ends_acronym) out += '_';
        }
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string pascal_case(const std::string& camel) {
    std::string out = camel;
    if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
    return out;
}

bool is_cxx_keyword(const std::string& s) {
    static const std::set<std::string> keywords = {
        "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool",
        "break", "case", "catch", "char", "char8_t", "char16_t", "char32_t", "class", "compl",
        "concept", "const", "consteval", "constexpr", "constinit", "const_cast", "continue",
        "co_await", "co_return", "co_yield", "decltype", "default", "delete", "do", "double",
        "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float", "for",
        "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new",
        "noexcept", "not", "not_eq", "nullptr", "operator", "or", "or_eq", "private",
        "protected", "public", "register", "reinterpret_cast", "requires", "return", "short",
        "signed", "sizeof", "static", "static_assert", "static_cast", "struct", "switch",
        "template", "this", "thread_local", "throw", "true", "try", "typedef", "typeid",
        "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t",
        "while", "xor", "xor_eq"};
    return keywords.count(s) != 0;
}

std::string safe_identifier(const std::string& s) { return is_cxx_keyword(s) ? s + "_" : s; }

bool is_identifier(const std::string& s) {
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])) != 0) return false;
    for (char c : s) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_') return false;
    }
    return !is_cxx_keyword(s);
}

std::string file_stem(const std::string& filename) {
    std::string base = filename.substr(filename.find_last_of('/') + 1);
    const std::string ext = ".capnp";
    if (base.size() > ext.size() && base.compare(base.size() - ext.size(), ext.size(), ext) == 0) {
        base.resize(base.size() - ext.size());
    }
    return base;
}

std::string default_namespace(const std::string& filename) {
    std::string stem = file_stem(filename);
    for (char& c : stem) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
    }
    if (stem.empty() || std::isdigit(static_cast<unsigned char>(stem[0])) != 0) stem = "_" + stem;
    return "mk::idl::" + safe_identifier(stem);
}

}  // namespace urpcgen
