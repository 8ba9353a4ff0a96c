// Field types, default values and constants (schema.hpp): which Cap'n Proto
// types map to which bounded C++ types, and the messages for those that do not.
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "plugin/names.hpp"
#include "plugin/schema.hpp"

namespace urpcgen {

namespace {

using CType = capnp::schema::Type;

bool scalar_kind(CType::Which w, Kind& out) {
    switch (w) {
        case CType::BOOL: out = Kind::Bool; return true;
        case CType::INT8: out = Kind::Int8; return true;
        case CType::INT16: out = Kind::Int16; return true;
        case CType::INT32: out = Kind::Int32; return true;
        case CType::INT64: out = Kind::Int64; return true;
        case CType::UINT8: out = Kind::UInt8; return true;
        case CType::UINT16: out = Kind::UInt16; return true;
        case CType::UINT32: out = Kind::UInt32; return true;
        case CType::UINT64: out = Kind::UInt64; return true;
        case CType::FLOAT32: out = Kind::Float32; return true;
        case CType::FLOAT64: out = Kind::Float64; return true;
        default: return false;
    }
}

const char* kind_name(CType::Which w) {
    switch (w) {
        case CType::VOID: return "Void";
        case CType::TEXT: return "Text";
        case CType::DATA: return "Data";
        case CType::LIST: return "List";
        case CType::STRUCT: return "struct";
        case CType::INTERFACE: return "interface";
        case CType::ANY_POINTER: return "AnyPointer";
        default: return "this";
    }
}

std::string hex_float(double v, bool single) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%a", v);
    return std::string(buf) + (single ? "f" : "");
}

}  // namespace

bool SchemaWalker::check_brand(capnp::schema::Brand::Reader brand, const Path& where,
                               const std::string& what) {
    for (auto scope : brand.getScopes()) {
        if (scope.isInherit() || scope.getBind().size() > 0) {
            diag_.error(where, "generic type parameters are not supported (" + what + ")");
            return false;
        }
    }
    return true;
}

bool SchemaWalker::check_local(uint64_t id, const char* kind, const Path& where) {
    if (local_.count(id) != 0) return true;
    auto it = nodes_.find(id);
    std::string name = it == nodes_.end() ? "?" : std::string(it->second.getDisplayName());
    diag_.error(where, std::string(kind) + " '" + name +
                           "' is declared in another file: only interfaces may be imported, "
                           "declare it in this file");
    return false;
}

bool SchemaWalker::convert_element(CType::Reader t, const Path& where, const std::string& what,
                                   Type& out) {
    Kind k;
    if (scalar_kind(t.which(), k)) {
        out.kind = k;
        if (k == Kind::Float32 || k == Kind::Float64) model_.uses_float = true;
        return true;
    }
    switch (t.which()) {
        case CType::ENUM:
            out.kind = Kind::Enum;
            out.id = t.getEnum().getTypeId();
            return check_brand(t.getEnum().getBrand(), where, what) &&
                   check_local(out.id, "enum", where);
        case CType::STRUCT: {
            out.kind = Kind::Struct;
            out.id = t.getStruct().getTypeId();
            if (!check_brand(t.getStruct().getBrand(), where, what)) return false;
            auto it = nodes_.find(out.id);
            if (it != nodes_.end() && it->second.getIsGeneric()) {
                diag_.error(where, "generic structs are not supported (" + what + ")");
                return false;
            }
            return check_local(out.id, "struct", where);
        }
        case CType::INTERFACE:
            // A capability: any interface will do, from any file.
            out.kind = Kind::Cap;
            out.id = t.getInterface().getTypeId();
            return check_brand(t.getInterface().getBrand(), where, what);
        case CType::ANY_POINTER:
            diag_.error(where, "AnyPointer and generic parameters are not supported (" + what + ")");
            return false;
        case CType::VOID:
            diag_.error(where, "Void fields are not supported (" + what + ")");
            return false;
        default:
            diag_.error(where, std::string(kind_name(t.which())) + " is not supported here (" +
                                   what + ")");
            return false;
    }
}

bool SchemaWalker::convert_type(CType::Reader t, Annotations annotations, const Path& where,
                                const std::string& name, Type& out) {
    const std::string what = "field '" + name + "'";
    bool has_max = false;
    uint32_t max = 0;
    for (auto a : annotations) {
        if (a.getId() == kMaxLengthId) {
            has_max = true;
            max = a.getValue().getUint32();
        }
    }
    auto w = t.which();
    bool bounded = w == CType::TEXT || w == CType::DATA || w == CType::LIST;
    if (has_max && !bounded) {
        diag_.error(where, "maxLength applies only to Text, Data and List (" + what + ")");
        return false;
    }
    if (!bounded) return convert_element(t, where, what, out);

    const char* kind = kind_name(w);
    if (!has_max) {
        diag_.error(where, "unbounded " + std::string(kind) + " (" + what +
                               "): annotate it with $Urpc.maxLength(N) from urpc.capnp");
        return false;
    }
    if (max < 1 || max > 0xffff) {
        diag_.error(where, "maxLength must be 1..65535, not " + std::to_string(max) + " (" +
                               what + ")");
        return false;
    }
    out.max = max;
    if (w == CType::TEXT) {
        out.kind = Kind::Text;
        return true;
    }
    if (w == CType::DATA) {
        out.kind = Kind::Data;
        return true;
    }
    out.kind = Kind::List;
    auto e = t.getList().getElementType();
    if (e.which() == CType::LIST) {
        diag_.error(where, "lists of lists are not supported (" + what + ")");
        return false;
    }
    if (e.which() == CType::TEXT || e.which() == CType::DATA) {
        diag_.error(where, "lists of Text or Data are not supported (" + what +
                               "): use a List of a struct with a bounded field");
        return false;
    }
    out.element = std::make_shared<urpcgen::Type>();
    return convert_element(e, where, what, *out.element);
}

std::string SchemaWalker::scalar_literal(capnp::schema::Value::Reader v, const urpcgen::Type& type,
                                         const Path& where, const std::string& what) {
    using V = capnp::schema::Value;
    switch (v.which()) {
        case V::BOOL: return v.getBool() ? "true" : "false";
        case V::INT8: return std::to_string(v.getInt8());
        case V::INT16: return std::to_string(v.getInt16());
        case V::INT32: return std::to_string(v.getInt32());
        case V::INT64:
            if (v.getInt64() == INT64_MIN) return "(-9223372036854775807LL - 1)";
            return std::to_string(v.getInt64()) + "LL";
        case V::UINT8: return std::to_string(v.getUint8()) + "u";
        case V::UINT16: return std::to_string(v.getUint16()) + "u";
        case V::UINT32: return std::to_string(v.getUint32()) + "u";
        case V::UINT64: return std::to_string(v.getUint64()) + "ull";
        case V::FLOAT32:
        case V::FLOAT64: {
            double d = v.which() == V::FLOAT32 ? v.getFloat32() : v.getFloat64();
            if (!std::isfinite(d)) {
                diag_.error(where, "non-finite float values are not supported (" + what + ")");
                return "";
            }
            return hex_float(d, v.which() == V::FLOAT32);
        }
        case V::ENUM: {
            auto it = nodes_.find(type.id);
            if (it == nodes_.end()) return "";
            auto enumerants = it->second.getEnum().getEnumerants();
            if (v.getEnum() >= enumerants.size()) return "";
            return cxx_name_of(it->second) + "::" +
                   safe_identifier(pascal_case(enumerants[v.getEnum()].getName()));
        }
        default:
            return "";
    }
}

std::string SchemaWalker::default_init(capnp::schema::Value::Reader v, const urpcgen::Type& type,
                                       const Path& where, const std::string& what) {
    bool scalar = type.kind != Kind::Struct && type.kind != Kind::Text && type.kind != Kind::Data &&
                  type.kind != Kind::List && type.kind != Kind::Cap;
    if (!scalar) {
        diag_.error(where, "default values are only supported for Bool, integer, float and enum "
                           "fields (field '" + what + "')");
        return "";
    }
    return scalar_literal(v, type, where, "field '" + what + "'");
}

void SchemaWalker::walk_const(Node node) {
    Const c;
    c.path = path_of(node);
    std::string name;
    for (const std::string& part : c.path) name += (name.empty() ? "" : "_") + pascal_case(part);
    c.cxx = "k" + name;
    const std::string what = "constant '" + c.path.back() + "'";
    auto t = node.getConst().getType();
    urpcgen::Type type;
    Kind k;
    if (scalar_kind(t.which(), k)) {
        type.kind = k;
        if (k == Kind::Float32 || k == Kind::Float64) model_.uses_float = true;
    } else if (t.which() == CType::ENUM) {
        type.kind = Kind::Enum;
        type.id = t.getEnum().getTypeId();
        if (!check_local(type.id, "enum", c.path)) return;
    } else {
        diag_.error(c.path, std::string(kind_name(t.which())) + " constants are not supported (" +
                                what + "): only Bool, integer, float and enum");
        return;
    }
    c.value = scalar_literal(node.getConst().getValue(), type, c.path, what);
    if (c.value.empty()) return;
    c.type = type.kind == Kind::Enum ? cxx_name_of(nodes_.at(type.id)) : cxx_type(type, model_);
    model_.consts.push_back(c);
}

const Struct* FileModel::find_struct(uint64_t id) const {
    for (const Struct& s : structs) {
        if (s.id == id) return &s;
    }
    return nullptr;
}

const Enum* FileModel::find_enum(uint64_t id) const {
    for (const Enum& e : enums) {
        if (e.id == id) return &e;
    }
    return nullptr;
}

std::string cxx_type(const urpcgen::Type& t, const FileModel& model) {
    switch (t.kind) {
        case Kind::Bool: return "bool";
        case Kind::Int8: return "mk::i8";
        case Kind::Int16: return "mk::i16";
        case Kind::Int32: return "mk::i32";
        case Kind::Int64: return "mk::i64";
        case Kind::UInt8: return "mk::u8";
        case Kind::UInt16: return "mk::u16";
        case Kind::UInt32: return "mk::u32";
        case Kind::UInt64: return "mk::u64";
        case Kind::Float32: return "float";
        case Kind::Float64: return "double";
        case Kind::Enum: {
            const Enum* e = model.find_enum(t.id);
            return e != nullptr ? e->cxx : "?";
        }
        case Kind::Struct: {
            const Struct* s = model.find_struct(t.id);
            return s != nullptr ? s->cxx : "?";
        }
        case Kind::Text: return "mk::idl::Text<" + std::to_string(t.max) + ">";
        case Kind::Data: return "mk::idl::Data<" + std::to_string(t.max) + ">";
        case Kind::List:
            return "mk::idl::List<" + cxx_type(*t.element, model) + ", " + std::to_string(t.max) + ">";
        case Kind::Cap: return "mk::idl::CapRef";
    }
    return "?";
}

}  // namespace urpcgen
