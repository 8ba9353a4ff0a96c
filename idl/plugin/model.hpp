// What the plugin knows about one schema file after checking it: only the
// constructs that capnpc-urpc supports, with C++ names already chosen and,
// after layout, the largest encoded size of every struct and message.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace urpcgen {

// Ids fixed in idl/urpc.capnp.
inline constexpr uint64_t kUrpcFileId = 0xee0628751cbcf5cfull;
inline constexpr uint64_t kMaxLengthId = 0x857773b92320bfb0ull;
inline constexpr uint64_t kOnewayId = 0x88076263e15aea08ull;
inline constexpr uint64_t kNamespaceId = 0xf6d693ae0a5999f2ull;
// capnp/stream.capnp's StreamResult: the results of a `-> stream` method.
inline constexpr uint64_t kStreamResultId = 0x995f9a3377c0b16eull;

// Wire limits, the same as lib/idl/wire.hpp.
inline constexpr size_t kFragmentBytes = 48;
inline constexpr size_t kMaxFragments = 255;
inline constexpr size_t kMaxMessageBytes = kFragmentBytes * kMaxFragments;
inline constexpr unsigned kMaxMethods = 256;

using Path = std::vector<std::string>;  // a scoped name, for diagnostics

inline Path operator/(Path p, const std::string& name) {
    p.push_back(name);
    return p;
}

enum class Kind {
    Bool, Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64, Float32, Float64,
    Enum, Struct, Text, Data, List, Cap,
};

struct Type {
    Kind kind = Kind::Bool;
    uint64_t id = 0;   // Enum and Struct: the node; Cap: the interface
    uint32_t max = 0;  // Text, Data, List: the declared maxLength
    std::shared_ptr<Type> element;  // List
};

struct Field {
    std::string name;  // as written in the schema
    std::string cxx;   // the C++ member name
    Type type;
    std::string init;  // C++ initializer for an explicit default, or empty
    Path path;
};

struct Struct {
    uint64_t id = 0;
    std::string cxx;    // C++ name at namespace scope: "Point", "Outer_Inner", "Boot::PingParams"
    std::string local;  // for method messages: the name inside the interface, "PingParams"
    bool message = false;  // the implicit params or results struct of a method
    std::vector<Field> fields;
    Path path;
    size_t max_bytes = 0;  // set by layout
};

struct Enum {
    uint64_t id = 0;
    std::string cxx;
    std::vector<std::string> enumerants;  // C++ names, in ordinal order
    Path path;
};

struct Const {
    Path path;
    std::string cxx;    // kPascalName
    std::string type;   // C++ type
    std::string value;  // C++ expression
};

struct Method {
    std::string name;    // schema name
    std::string cxx;     // snake_case member name
    std::string pascal;  // for the message types: PingParams, PingResults
    unsigned ordinal = 0;
    uint64_t params = 0;
    uint64_t results = 0;
    bool oneway = false;
    Path path;
    size_t max_request = 0;  // set by layout
    size_t max_reply = 0;
};

struct Interface {
    uint64_t id = 0;
    std::string cxx;
    std::vector<Method> methods;
    Path path;
    size_t max_request = 0;  // set by layout
    size_t max_reply = 0;
};

struct FileModel {
    std::string filename;  // as capnp names it in the request
    std::string ns;
    std::vector<Enum> enums;
    std::vector<Const> consts;
    std::vector<Struct> structs;  // after layout: named structs, dependencies first, then messages
    std::vector<Interface> interfaces;
    bool uses_float = false;

    const Struct* find_struct(uint64_t id) const;
    const Enum* find_enum(uint64_t id) const;
};

}  // namespace urpcgen
