// How schema names become C++ names in generated code (docs/idl.md, "Names"):
// fields, params and methods in snake_case, types and enumerants in
// PascalCase, constants as kPascalCase; a C++ keyword gets a trailing '_'.
#pragma once

#include <string>

namespace urpcgen {

std::string snake_case(const std::string& camel);
std::string pascal_case(const std::string& camel);
bool is_cxx_keyword(const std::string& s);
// Appends '_' to C++ keywords.
std::string safe_identifier(const std::string& s);
// A C++ identifier made of [A-Za-z0-9_], not starting with a digit.
bool is_identifier(const std::string& s);
// The default namespace for a schema file: mk::idl::<file stem>.
std::string default_namespace(const std::string& filename);
// The file's stem (no directory, no ".capnp").
std::string file_stem(const std::string& filename);

}  // namespace urpcgen
