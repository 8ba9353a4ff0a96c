// Schema walking and validation: turns the CodeGeneratorRequest nodes of one
// requested file into a FileModel, reporting every construct capnpc-urpc does
// not support (docs/idl.md, "What is rejected") instead of guessing.
#pragma once

#include <capnp/schema.capnp.h>

#include <map>
#include <set>
#include <string>

#include "plugin/diagnostics.hpp"
#include "plugin/model.hpp"

namespace urpcgen {

class SchemaWalker {
public:
    SchemaWalker(capnp::schema::CodeGeneratorRequest::Reader request, Diagnostics& diag);

    // The model of one requested file. Problems go to the Diagnostics; the
    // model is only meant to be used when there were none.
    FileModel walk(uint64_t file_id, const std::string& filename);

private:
    using Node = capnp::schema::Node::Reader;
    using Annotations = capnp::List<capnp::schema::Annotation>::Reader;

    // schema_walk.cpp: declarations.
    void visit(Node node);
    void walk_struct(Node node, Struct& out);
    void walk_enum(Node node);
    void walk_interface(Node node);
    void walk_method(const Interface& iface, capnp::schema::Method::Reader m, unsigned ordinal,
                     Method& out);
    // Adds the implicit params/results struct of a method, or checks the
    // named struct used instead. Returns false if it cannot be used.
    bool method_struct(uint64_t id, const Path& path, const std::string& cxx_scope,
                       const std::string& local, bool& empty);
    void walk_namespace(Node file);
    void check_names();

    // schema_types.cpp: types, defaults and constants.
    bool convert_type(capnp::schema::Type::Reader t, Annotations annotations, const Path& where,
                      const std::string& what, Type& out);
    bool convert_element(capnp::schema::Type::Reader t, const Path& where, const std::string& what,
                         Type& out);
    bool check_brand(capnp::schema::Brand::Reader brand, const Path& where, const std::string& what);
    bool check_local(uint64_t id, const char* kind, const Path& where);
    std::string default_init(capnp::schema::Value::Reader v, const Type& type, const Path& where,
                             const std::string& what);
    void walk_const(Node node);
    std::string scalar_literal(capnp::schema::Value::Reader v, const Type& type, const Path& where,
                               const std::string& what);

    Path path_of(Node node) const;
    std::string cxx_name_of(Node node) const;

    std::map<uint64_t, Node> nodes_;
    std::set<uint64_t> local_;  // nodes declared in the file being walked
    Diagnostics& diag_;
    FileModel model_;
};

// A C++ type for a model type.
std::string cxx_type(const Type& t, const FileModel& model);

}  // namespace urpcgen
