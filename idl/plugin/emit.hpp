// Code emission: a checked, laid-out FileModel becomes one freestanding C++
// header (docs/idl.md, "Generated code"). Output depends only on the model,
// so the same schema always yields byte-identical headers (golden tests).
#pragma once

#include <string>

#include "plugin/model.hpp"

namespace urpcgen {

std::string emit_header(const FileModel& model);

// emit_types.cpp
void emit_enums_and_consts(std::string& out, const FileModel& model);
// A struct definition; `indent` is prepended to every line.
void emit_struct(std::string& out, const Struct& s, const std::string& name,
                 const FileModel& model, const std::string& indent);
// encode() and decode() for one struct, at namespace scope, and for_each_cap()
// when it carries capabilities.
void emit_marshal(std::string& out, const Struct& s, const FileModel& model);
// Whether a value of the type, or the struct, holds a capability (directly,
// in a nested struct, or as List elements).
bool carries_caps(const Type& t, const FileModel& model);
bool carries_caps(const Struct& s, const FileModel& model);

// emit_interface.cpp
void emit_interface(std::string& out, const Interface& iface, const FileModel& model);
void emit_interface_marshal(std::string& out, const Interface& iface, const FileModel& model);
void emit_client_server(std::string& out, const Interface& iface, const FileModel& model);

}  // namespace urpcgen
