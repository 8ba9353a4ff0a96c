// Declarations of a schema file: structs, enums, interfaces and their
// methods, constants, and the file's namespace (schema.hpp).
#include <algorithm>

#include "plugin/names.hpp"
#include "plugin/schema.hpp"

namespace urpcgen {

namespace {

bool has_annotation(capnp::List<capnp::schema::Annotation>::Reader list, uint64_t id) {
    for (auto a : list) {
        if (a.getId() == id) return true;
    }
    return false;
}

// Names a generated client or server defines itself: a method may not use them.
const std::set<std::string>& reserved_method_names() {
    static const std::set<std::string> names = {
        "accept", "begin_call", "begin_oneway", "begin_reply", "call_carrying_caps", "calls_in_flight",
        "cancel", "decode", "dispatch", "encode", "finish_call", "finish_oneway", "for_each_cap",
        "oneway_carrying_caps", "poll", "receive_reply_caps", "receive_request_caps", "reject",
        "reply_carrying_caps", "replying", "reply_error", "send_reply", "sending", "stats", "status",
        "transport", "wait"};
    return names;
}

}  // namespace

SchemaWalker::SchemaWalker(capnp::schema::CodeGeneratorRequest::Reader request, Diagnostics& diag)
    : diag_(diag) {
    for (auto node : request.getNodes()) nodes_.emplace(node.getId(), node);
}

Path SchemaWalker::path_of(Node node) const {
    std::string name = node.getDisplayName();
    size_t colon = name.find(':');
    Path path;
    if (colon == std::string::npos) return path;
    std::string rest = name.substr(colon + 1);
    size_t start = 0;
    for (;;) {
        size_t dot = rest.find('.', start);
        path.push_back(rest.substr(start, dot - start));
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return path;
}

std::string SchemaWalker::cxx_name_of(Node node) const {
    // Nested declarations are flattened with '_', which capnp names never contain.
    std::string out;
    for (const std::string& part : path_of(node)) out += (out.empty() ? "" : "_") + part;
    return safe_identifier(out);
}

FileModel SchemaWalker::walk(uint64_t file_id, const std::string& filename) {
    model_ = FileModel{};
    model_.filename = filename;
    model_.ns = default_namespace(filename);
    local_.clear();

    auto file = nodes_.find(file_id);
    if (file == nodes_.end()) return model_;
    // Everything declared in the file, for telling local types from imported ones.
    std::vector<uint64_t> todo{file_id};
    while (!todo.empty()) {
        auto it = nodes_.find(todo.back());
        todo.pop_back();
        if (it == nodes_.end()) continue;
        local_.insert(it->first);
        for (auto nested : it->second.getNestedNodes()) todo.push_back(nested.getId());
    }
    walk_namespace(file->second);
    for (auto nested : file->second.getNestedNodes()) {
        auto it = nodes_.find(nested.getId());
        if (it != nodes_.end()) visit(it->second);
    }
    check_names();
    return model_;
}

void SchemaWalker::walk_namespace(Node file) {
    for (auto a : file.getAnnotations()) {
        if (a.getId() != kNamespaceId) continue;
        std::string ns = a.getValue().getText();
        bool ok = !ns.empty();
        size_t start = 0;
        while (ok) {
            size_t sep = ns.find("::", start);
            ok = is_identifier(ns.substr(start, sep - start));
            if (sep == std::string::npos) break;
            start = sep + 2;
        }
        if (!ok) {
            diag_.error_at_text("namespace(",
                                "namespace \"" + ns + "\" is not a C++ namespace name like a::b");
        } else {
            model_.ns = ns;
        }
    }
}

void SchemaWalker::visit(Node node) {
    Path path = path_of(node);
    bool generic = node.getIsGeneric() || node.getParameters().size() > 0;
    switch (node.which()) {
        case capnp::schema::Node::STRUCT:
            if (generic) {
                diag_.error(path, "generic structs are not supported");
                break;
            }
            model_.structs.emplace_back();
            model_.structs.back().cxx = cxx_name_of(node);
            walk_struct(node, model_.structs.back());
            break;
        case capnp::schema::Node::ENUM:
            walk_enum(node);
            break;
        case capnp::schema::Node::INTERFACE:
            if (generic) {
                diag_.error(path, "generic interfaces are not supported");
                break;
            }
            walk_interface(node);
            break;
        case capnp::schema::Node::CONST:
            walk_const(node);
            break;
        default:  // annotation declarations generate nothing
            break;
    }
    if (generic) return;
    for (auto nested : node.getNestedNodes()) {
        auto it = nodes_.find(nested.getId());
        if (it != nodes_.end()) visit(it->second);
    }
}

void SchemaWalker::walk_struct(Node node, Struct& out) {
    out.id = node.getId();
    out.path = path_of(node);
    auto s = node.getStruct();
    if (s.getDiscriminantCount() > 0) {
        diag_.error(out.path / "union", "unions are not supported");
    }
    std::set<std::string> members;
    for (auto f : s.getFields()) {
        std::string name = f.getName();
        Path where = out.path / name;
        if (f.getDiscriminantValue() != capnp::schema::Field::NO_DISCRIMINANT) continue;
        if (f.which() == capnp::schema::Field::GROUP) {
            auto g = nodes_.find(f.getGroup().getTypeId());
            bool is_union = g != nodes_.end() && g->second.getStruct().getDiscriminantCount() > 0;
            diag_.error(where, is_union ? "unions are not supported (field '" + name + "')"
                                        : "groups are not supported (field '" + name + "')");
            continue;
        }
        Field field;
        field.name = name;
        field.cxx = safe_identifier(snake_case(name));
        field.path = where;
        auto slot = f.getSlot();
        if (!convert_type(slot.getType(), f.getAnnotations(), where, name, field.type)) continue;
        if (slot.getHadExplicitDefault()) {
            field.init = default_init(slot.getDefaultValue(), field.type, where, name);
        }
        if (!members.insert(field.cxx).second) {
            diag_.error(where, "field '" + name + "' becomes C++ member '" + field.cxx +
                                   "', which another field already uses");
            continue;
        }
        out.fields.push_back(field);
    }
}

void SchemaWalker::walk_enum(Node node) {
    Enum e;
    e.id = node.getId();
    e.cxx = cxx_name_of(node);
    e.path = path_of(node);
    for (auto en : node.getEnum().getEnumerants()) {
        std::string cxx = safe_identifier(pascal_case(en.getName()));
        if (std::find(e.enumerants.begin(), e.enumerants.end(), cxx) != e.enumerants.end()) {
            diag_.error(e.path / en.getName(),
                        "enumerant '" + std::string(en.getName()) + "' clashes with another as '" +
                            cxx + "'");
        }
        e.enumerants.push_back(cxx);
    }
    model_.enums.push_back(e);
}

void SchemaWalker::walk_interface(Node node) {
    Interface iface;
    iface.id = node.getId();
    iface.cxx = cxx_name_of(node);
    iface.path = path_of(node);
    auto in = node.getInterface();
    if (in.getSuperclasses().size() > 0) {
        diag_.error(iface.path, "interface inheritance (extends) is not supported");
    }
    unsigned ordinal = 0;
    std::set<std::string> names;
    for (auto m : in.getMethods()) {
        Method method;
        walk_method(iface, m, ordinal++, method);
        if (!names.insert(method.cxx).second) {
            diag_.error(method.path, "method '" + method.name + "' clashes with another as '" +
                                         method.cxx + "'");
        }
        iface.methods.push_back(method);
    }
    model_.interfaces.push_back(iface);
}

void SchemaWalker::walk_method(const Interface& iface, capnp::schema::Method::Reader m,
                               unsigned ordinal, Method& out) {
    out.name = m.getName();
    out.cxx = safe_identifier(snake_case(out.name));
    out.pascal = pascal_case(out.name);
    out.ordinal = ordinal;
    out.path = iface.path / out.name;
    out.oneway = has_annotation(m.getAnnotations(), kOnewayId);
    out.params = m.getParamStructType();
    out.results = m.getResultStructType();
    const std::string what = "method '" + out.name + "'";
    if (ordinal >= kMaxMethods) {
        diag_.error(out.path, what + ": an interface has at most 256 methods (@0..@255)");
    }
    if (reserved_method_names().count(out.cxx) != 0) {
        diag_.error(out.path, what + " clashes with '" + out.cxx +
                                  "' of the generated client or server: rename it");
    }
    if (m.getImplicitParameters().size() > 0) {
        diag_.error(out.path, "generic methods are not supported (" + what + ")");
        return;
    }
    check_brand(m.getParamBrand(), out.path, what);
    check_brand(m.getResultBrand(), out.path, what);
    if (out.results == kStreamResultId) {
        diag_.error(out.path, "streaming methods (-> stream) are not supported: use $Urpc.oneway");
        return;
    }
    bool no_params = false;
    bool no_results = false;
    method_struct(out.params, out.path, iface.cxx, out.pascal + "Params", no_params);
    bool results_ok =
        method_struct(out.results, out.path, iface.cxx, out.pascal + "Results", no_results);
    if (out.oneway && results_ok && !no_results) {
        diag_.error(out.path, "one-way " + what + " must not declare results");
    }
}

bool SchemaWalker::method_struct(uint64_t id, const Path& path, const std::string& cxx_scope,
                                 const std::string& local, bool& empty) {
    auto it = nodes_.find(id);
    if (it == nodes_.end()) return false;
    Node node = it->second;
    if (node.which() != capnp::schema::Node::STRUCT) return false;
    empty = node.getStruct().getFields().size() == 0;
    if (node.getScopeId() != 0) {
        // A named struct used as the parameter or result list: walked where it is declared.
        empty = false;
        return check_local(id, "struct", path);
    }
    model_.structs.emplace_back();
    Struct& s = model_.structs.back();
    s.message = true;
    s.cxx = cxx_scope + "::" + local;
    s.local = local;
    walk_struct(node, s);
    return true;
}

void SchemaWalker::check_names() {
    // Every name the header declares at namespace scope must be unique.
    std::map<std::string, std::string> seen;
    auto claim = [&](const std::string& cxx, const Path& path, const std::string& what) {
        auto [it, fresh] = seen.emplace(cxx, what);
        if (!fresh) {
            diag_.error(path, what + " needs the C++ name '" + cxx + "', already taken by " +
                                  it->second);
        }
    };
    for (const Enum& e : model_.enums) claim(e.cxx, e.path, "enum '" + e.cxx + "'");
    for (const Struct& s : model_.structs) {
        if (!s.message) claim(s.cxx, s.path, "struct '" + s.cxx + "'");
    }
    for (const Interface& i : model_.interfaces) {
        std::string what = "interface '" + i.cxx + "'";
        for (const char* suffix : {"", "Client", "Server", "Handler"}) {
            claim(i.cxx + suffix, i.path, what);
        }
    }
    for (const Const& c : model_.consts) claim(c.cxx, c.path, "constant '" + c.cxx + "'");
}

}  // namespace urpcgen
