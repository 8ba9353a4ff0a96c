// Emission of the file prologue, enums, constants, structs and their
// encode()/decode() functions (emit.hpp).
#include <cstdio>

#include "plugin/emit.hpp"
#include "plugin/schema.hpp"

namespace urpcgen {

namespace {

const char* scalar_suffix(Kind k) {
    switch (k) {
        case Kind::Int8: return "i8";
        case Kind::Int16: return "i16";
        case Kind::Int32: return "i32";
        case Kind::Int64: return "i64";
        case Kind::UInt8: return "u8";
        case Kind::UInt16: return "u16";
        case Kind::UInt32: return "u32";
        case Kind::UInt64: return "u64";
        default: return nullptr;
    }
}

// One statement that writes the value `x` of type t through Writer w.
std::string encode_one(const Type& t, const std::string& x) {
    if (const char* s = scalar_suffix(t.kind)) return std::string("w.put_") + s + "(" + x + ");";
    switch (t.kind) {
        case Kind::Bool: return "w.put_bool(" + x + ");";
        case Kind::Float32: return "mk::idl::put_f32(w, " + x + ");";
        case Kind::Float64: return "mk::idl::put_f64(w, " + x + ");";
        case Kind::Enum: return "w.put_enum(" + x + ");";
        case Kind::Struct: return "encode(w, " + x + ");";
        case Kind::Text: return "w.put_text(" + x + ");";
        case Kind::Data: return "w.put_data(" + x + ");";
        case Kind::Cap: return "w.put_cap(" + x + ");";
        default: return "";
    }
}

// One expression of type mk::Status that reads `x` of type t from Reader r.
std::string decode_one(const Type& t, const std::string& x, const FileModel& model) {
    if (const char* s = scalar_suffix(t.kind)) return std::string("r.get_") + s + "(" + x + ")";
    switch (t.kind) {
        case Kind::Bool: return "r.get_bool(" + x + ")";
        case Kind::Float32: return "mk::idl::get_f32(r, " + x + ")";
        case Kind::Float64: return "mk::idl::get_f64(r, " + x + ")";
        case Kind::Enum: {
            const Enum* e = model.find_enum(t.id);
            size_t n = e != nullptr ? e->enumerants.size() : 0;
            return "r.get_enum(" + x + ", " + std::to_string(n) + ")";
        }
        case Kind::Struct: return "decode(r, " + x + ")";
        case Kind::Text: return "r.get_text(" + x + ")";
        case Kind::Data: return "r.get_data(" + x + ")";
        case Kind::Cap: return "r.get_cap(" + x + ")";
        default: return "";
    }
}

std::string member_init(const Field& f, const FileModel& model) {
    if (!f.init.empty()) return " = " + f.init;
    switch (f.type.kind) {
        case Kind::Bool: return " = false";
        case Kind::Enum: {
            const Enum* e = model.find_enum(f.type.id);
            if (e == nullptr || e->enumerants.empty()) return "{}";
            return " = " + e->cxx + "::" + e->enumerants[0];
        }
        case Kind::Struct: case Kind::Text: case Kind::Data: case Kind::List: case Kind::Cap:
            return "{}";
        default:
            return " = 0";
    }
}

}  // namespace

bool carries_caps(const Type& t, const FileModel& model) {
    switch (t.kind) {
        case Kind::Cap: return true;
        case Kind::List: return t.element != nullptr && carries_caps(*t.element, model);
        case Kind::Struct: {
            const Struct* s = model.find_struct(t.id);
            return s != nullptr && carries_caps(*s, model);
        }
        default: return false;
    }
}

bool carries_caps(const Struct& s, const FileModel& model) {
    for (const Field& f : s.fields) {
        if (carries_caps(f.type, model)) return true;
    }
    return false;
}

void emit_enums_and_consts(std::string& out, const FileModel& model) {
    for (const Enum& e : model.enums) {
        out += "enum class " + e.cxx + " : mk::u16 {\n";
        for (size_t i = 0; i < e.enumerants.size(); ++i) {
            out += "    " + e.enumerants[i] + " = " + std::to_string(i) + ",\n";
        }
        out += "};\n\n";
    }
    for (const Const& c : model.consts) {
        out += "inline constexpr " + c.type + " " + c.cxx + " = " + c.value + ";\n";
    }
    if (!model.consts.empty()) out += "\n";
}

void emit_struct(std::string& out, const Struct& s, const std::string& name,
                 const FileModel& model, const std::string& indent) {
    out += indent + "struct " + name + " {\n";
    for (const Field& f : s.fields) {
        out += indent + "    " + cxx_type(f.type, model) + " " + f.cxx + member_init(f, model) +
               ";\n";
    }
    out += indent + "    friend bool operator==(const " + name + "&, const " + name +
           "&) = default;\n";
    out += indent + "};\n";
}

void emit_marshal(std::string& out, const Struct& s, const FileModel& model) {
    const std::string& t = s.cxx;
    bool empty = s.fields.empty();
    out += "inline void encode(mk::idl::Writer&" + std::string(empty ? "" : " w") + ", const " + t +
           "&" + (empty ? "" : " v") + ") {\n";
    for (const Field& f : s.fields) {
        const std::string x = "v." + f.cxx;
        if (f.type.kind != Kind::List) {
            out += "    " + encode_one(f.type, x) + "\n";
            continue;
        }
        const std::string max = std::to_string(f.type.max);
        out += "    w.put_count(" + x + ".size, " + max + ");\n";
        out += "    for (mk::usize i = 0; i < " + x + ".size && i < " + max + "; ++i) " +
               encode_one(*f.type.element, x + ".items[i]") + "\n";
    }
    out += "}\n\n";

    out += "inline mk::Status decode(mk::idl::Reader&" + std::string(empty ? "" : " r") + ", " + t +
           "&" + (empty ? "" : " v") + ") {\n";
    for (const Field& f : s.fields) {
        const std::string x = "v." + f.cxx;
        if (f.type.kind != Kind::List) {
            out += "    TRY_STATUS(" + decode_one(f.type, x, model) + ");\n";
            continue;
        }
        out += "    TRY_STATUS(r.get_count(" + x + ".size, " + std::to_string(f.type.max) + "));\n";
        out += "    for (mk::usize i = 0; i < " + x + ".size; ++i) TRY_STATUS(" +
               decode_one(*f.type.element, x + ".items[i]", model) + ");\n";
    }
    out += "    return {};\n}\n\n";

    // The capabilities it holds, for the stubs' capability hooks (idl/caps.hpp).
    if (!carries_caps(s, model)) return;
    out += "template <typename F>\n";
    out += "mk::Status for_each_cap(" + t + "& v, F& f) {\n";
    for (const Field& f : s.fields) {
        if (!carries_caps(f.type, model)) continue;
        const std::string x = "v." + f.cxx;
        const Type& el = f.type.kind == Kind::List ? *f.type.element : f.type;
        const std::string one = el.kind == Kind::Cap ? "f(" : "for_each_cap(";
        const std::string tail = el.kind == Kind::Cap ? ")" : ", f)";
        if (f.type.kind == Kind::List) {
            out += "    for (mk::usize i = 0; i < " + x + ".size && i < " + std::to_string(f.type.max) +
                   "; ++i) TRY_STATUS(" + one + x + ".items[i]" + tail + ");\n";
        } else {
            out += "    TRY_STATUS(" + one + x + tail + ");\n";
        }
    }
    out += "    return {};\n}\n\n";
}

std::string emit_header(const FileModel& model) {
    std::string out;
    out += "// Generated by capnpc-urpc from " + model.filename + ". Do not edit: change the\n";
    out += "// schema instead. The API and the wire format are described in docs/idl.md.\n";
    out += "#pragma once\n\n";
    out += "#include \"idl/runtime.hpp\"\n";
    if (model.uses_float) out += "#include \"idl/codec_float.hpp\"\n";
    out += "\nnamespace " + model.ns + " {\n\n";

    emit_enums_and_consts(out, model);
    for (const Struct& s : model.structs) {
        if (s.message) continue;
        emit_struct(out, s, s.cxx, model, "");
        out += "\n";
    }
    for (const Struct& s : model.structs) {
        if (!s.message) emit_marshal(out, s, model);
    }
    for (const Interface& iface : model.interfaces) emit_interface(out, iface, model);
    for (const Interface& iface : model.interfaces) emit_interface_marshal(out, iface, model);
    for (const Interface& iface : model.interfaces) emit_client_server(out, iface, model);

    while (out.size() >= 2 && out.compare(out.size() - 2, 2, "\n\n") == 0) out.pop_back();
    out += "\n}  // namespace " + model.ns + "\n";
    return out;
}

}  // namespace urpcgen
