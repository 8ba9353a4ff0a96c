// Emission of an interface: its descriptor struct with the method messages,
// their marshalling, the reply decoder, the client stub, the handler concept
// and the server skeleton (emit.hpp, docs/idl.md "Generated code").
#include <cstdio>

#include "plugin/emit.hpp"
#include "plugin/schema.hpp"

namespace urpcgen {

namespace {

std::string hex(uint64_t v, int digits) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%0*llx", digits, static_cast<unsigned long long>(v));
    return buf;
}

std::string params_type(const Interface& iface, const Method& m) {
    return iface.cxx + "::" + m.pascal + "Params";
}
std::string results_type(const Interface& iface, const Method& m) {
    return iface.cxx + "::" + m.pascal + "Results";
}

// The message struct of a method, or its named-struct alias.
void emit_message(std::string& out, uint64_t id, const std::string& local, const FileModel& model) {
    const Struct* s = model.find_struct(id);
    if (s == nullptr) return;
    if (s->message) {
        emit_struct(out, *s, local, model, "    ");
    } else {
        out += "    using " + local + " = " + s->cxx + ";\n";
    }
}

bool struct_carries_caps(uint64_t id, const FileModel& model) {
    const Struct* s = model.find_struct(id);
    return s != nullptr && carries_caps(*s, model);
}

// Whether the request or the reply of a method can hold capabilities.
bool method_carries_caps(const Method& m, const FileModel& model) {
    return struct_carries_caps(m.params, model) || (!m.oneway && struct_carries_caps(m.results, model));
}

// Argument-list form of a call: one C++ parameter per schema parameter.
std::string arg_type(const Type& t, const FileModel& model) {
    switch (t.kind) {
        case Kind::Struct: return "const " + cxx_type(t, model) + "&";
        case Kind::Text: return "const char*";
        case Kind::Data: return "mk::Bytes";
        case Kind::List: return "mk::Span<const " + cxx_type(*t.element, model) + ">";
        default: return cxx_type(t, model);
    }
}

void emit_call(std::string& out, const Interface& iface, const Method& m, const FileModel& model) {
    const std::string ord = std::to_string(m.ordinal);
    const std::string ret = m.oneway ? "mk::Status" : "mk::Result<mk::idl::CallId>";
    const std::string res = m.oneway ? "" : ", " + results_type(iface, m) + "* results_ = nullptr";
    out += "    // " + m.name + " @" + ord + (m.oneway ? " (one-way)" : "") + "\n";
    out += "    " + ret + " " + m.cxx + "(const " + params_type(iface, m) + "& params" + res +
           ") {\n";
    if (method_carries_caps(m, model)) {
        // Capabilities go through the transport's hooks (idl/caps.hpp).
        out += "        return this->" +
               (m.oneway ? "oneway_carrying_caps(" + ord + ", params"
                         : "call_carrying_caps(" + ord + ", params, results_") +
               ");\n    }\n";
    } else {
        out += "        mk::Result<mk::idl::Writer> w = this->" +
               (m.oneway ? "begin_oneway(" + ord : "begin_call(" + ord + ", results_") + ");\n";
        out += "        if (!w.ok()) return w.error();\n";
        out += "        encode(*w, params);\n";
        out += "        return this->" + (m.oneway ? "finish_oneway(" : "finish_call(" + ord + ", ") +
               "*w);\n    }\n";
    }

    // The same call with the parameters spelled out.
    const Struct* p = model.find_struct(m.params);
    if (p == nullptr) return;
    std::string args;
    for (const Field& f : p->fields) {
        args += (args.empty() ? "" : ", ") + arg_type(f.type, model) + " " + f.cxx;
    }
    if (!m.oneway) args += (args.empty() ? "" : ", ") + res.substr(2);
    out += "    " + ret + " " + m.cxx + "(" + args + ") {\n";
    out += "        " + params_type(iface, m) + " params_;\n";
    for (const Field& f : p->fields) {
        if (f.type.kind == Kind::Text || f.type.kind == Kind::Data || f.type.kind == Kind::List) {
            out += "        if (mk::Status status_ = params_." + f.cxx + ".assign(" + f.cxx +
                   "); !status_.ok()) return status_.error();\n";
        } else {
            out += "        params_." + f.cxx + " = " + f.cxx + ";\n";
        }
    }
    out += "        return this->" + m.cxx + "(params_" + (m.oneway ? "" : ", results_") + ");\n    }\n";
}

void emit_dispatch_case(std::string& out, const Interface& iface, const Method& m, const FileModel& model) {
    out += "            case " + std::to_string(m.ordinal) + ": {  // " + m.name + "\n";
    out += "                mk::idl::Reader r(m.bytes, m.size);\n";
    out += "                " + params_type(iface, m) + " params;\n";
    out += "                if (mk::Status s = mk::idl::decode_message(r, params); !s.ok()) {\n";
    out += "                    return this->reject(m.header, s.error());\n                }\n";
    if (struct_carries_caps(m.params, model)) {
        out += "                if (mk::Status s = this->receive_request_caps(params); !s.ok()) {\n";
        out += "                    return this->reject(m.header, s.error());\n                }\n";
    }
    if (m.oneway) {
        out += "                (void)impl_." + m.cxx + "(params);\n";
        out += "                return {};\n            }\n";
        return;
    }
    out += "                " + results_type(iface, m) + " results;\n";
    out += "                if (mk::Status s = impl_." + m.cxx + "(params, results); !s.ok()) {\n";
    out += "                    return this->reply_error(m.header, s.error());\n                }\n";
    if (struct_carries_caps(m.results, model)) {
        out += "                return this->reply_carrying_caps(m.header, results);\n            }\n";
        return;
    }
    out += "                mk::idl::Writer w = this->begin_reply(m.header);\n";
    out += "                encode(w, results);\n";
    out += "                return this->send_reply(m.header, w);\n            }\n";
}

}  // namespace

void emit_interface(std::string& out, const Interface& iface, const FileModel& model) {
    const std::string& I = iface.cxx;
    out += "// interface " + I + ": " + std::to_string(iface.methods.size()) +
           " methods; requests up to " + std::to_string(iface.max_request) +
           " bytes, replies up to " + std::to_string(iface.max_reply) + " bytes.\n";
    out += "struct " + I + " {\n";
    out += "    static constexpr mk::u64 kId = " + hex(iface.id, 16) + "ull;\n";
    out += "    static constexpr mk::u16 kTag = mk::idl::interface_tag(kId);\n\n";
    out += "    enum class Method : mk::u8 {\n";
    for (const Method& m : iface.methods) {
        out += "        " + m.pascal + " = " + std::to_string(m.ordinal) + ",\n";
    }
    out += "    };\n";
    for (const Method& m : iface.methods) {
        out += "\n    // " + m.name + " @" + std::to_string(m.ordinal) + ": request up to " +
               std::to_string(m.max_request) + " bytes, " +
               (m.oneway ? std::string("one-way") : "reply up to " + std::to_string(m.max_reply) +
                                                        " bytes") + ".\n";
        emit_message(out, m.params, m.pascal + "Params", model);
        emit_message(out, m.results, m.pascal + "Results", model);
    }
    out += "\n    static constexpr mk::usize kMaxRequestBytes = " + std::to_string(iface.max_request) +
           ";\n";
    out += "    static constexpr mk::usize kMaxReplyBytes = " + std::to_string(iface.max_reply) +
           ";\n";
    size_t n = iface.methods.size();
    out += "    static constexpr mk::idl::MethodInfo kMethods[" + std::to_string(n ? n : 1) + "] = {\n";
    for (const Method& m : iface.methods) {
        out += "        {" + std::to_string(m.max_request) + ", " + std::to_string(m.max_reply) +
               ", " + (m.oneway ? "true" : "false") + "},  // " + m.name + "\n";
    }
    if (n == 0) out += "        {0, 0, true},  // unused: the interface has no methods\n";
    out += "    };\n";
    out += "    static constexpr mk::idl::InterfaceInfo kInfo = {kTag, " + std::to_string(n) +
           ", kMethods};\n\n";
    out += "    // Decodes the reply to `method` into *out (that method's Results), or\n";
    out += "    // checks and discards it when out is null. For the client stub.\n";
    out += "    static mk::Status decode_reply(mk::u8 method, mk::idl::Reader& r, void* out);\n";
    out += "};\n\n";
}

void emit_interface_marshal(std::string& out, const Interface& iface, const FileModel& model) {
    for (const Struct& s : model.structs) {
        if (s.message && s.cxx.compare(0, iface.cxx.size() + 2, iface.cxx + "::") == 0) {
            emit_marshal(out, s, model);
        }
    }
    bool any_reply = false;
    for (const Method& m : iface.methods) any_reply = any_reply || !m.oneway;
    out += "inline mk::Status " + iface.cxx + "::decode_reply(mk::u8 method, mk::idl::Reader& r, "
           "void* out) {\n";
    if (!any_reply) {
        out += "    (void)method;\n    (void)r;\n    (void)out;\n";
    } else {
        out += "    switch (method) {\n";
        for (const Method& m : iface.methods) {
            if (m.oneway) continue;
            const std::string rt = m.pascal + "Results";
            out += "        case " + std::to_string(m.ordinal) + ":  // " + m.name + "\n";
            out += "            if (out == nullptr) {\n";
            out += "                " + rt + " discard;\n";
            out += "                return mk::idl::decode_message(r, discard);\n            }\n";
            out += "            return mk::idl::decode_message(r, *static_cast<" + rt +
                   "*>(out));\n";
        }
        out += "    }\n";
    }
    out += "    return mk::Error::UnknownMethod;\n}\n\n";
}

void emit_client_server(std::string& out, const Interface& iface, const FileModel& model) {
    const std::string& I = iface.cxx;
    const std::string sizes = I + "::kMaxRequestBytes, " + I + "::kMaxReplyBytes";

    // Client.
    out += "// Calls " + I + " over a transport T (docs/idl.md, \"Client\"). Each call queues\n";
    out += "// a request and returns its CallId; poll() decodes replies into the results\n";
    out += "// object given to the call; status(id) or wait(id) tells how the call ended.\n";
    out += "template <mk::idl::Transport T, mk::usize kMaxCalls = 8, mk::usize kSlots = 2>\n";
    out += "class " + I + "Client\n    : public mk::idl::ClientCore<T, " + sizes +
           ", kMaxCalls, kSlots> {\n";
    out += "    using Core = mk::idl::ClientCore<T, " + sizes + ", kMaxCalls, kSlots>;\n\n";
    out += "public:\n";
    out += "    explicit " + I + "Client(T& transport) : Core(transport, " + I + "::kInfo, &" + I +
           "::decode_reply) {}\n";
    for (const Method& m : iface.methods) {
        out += "\n";
        emit_call(out, iface, m, model);
    }
    out += "};\n\n";

    // Handler concept.
    out += "// What a server implementation provides: one member function per method.\n";
    out += "template <typename Impl>\n";
    if (iface.methods.empty()) {
        out += "concept " + I + "Handler = true;\n\n";
    } else {
        out += "concept " + I + "Handler = requires(\n    Impl& impl";
        for (const Method& m : iface.methods) {
            const std::string k = std::to_string(m.ordinal);
            out += ",\n    const " + params_type(iface, m) + "& p" + k;
            if (!m.oneway) out += ", " + results_type(iface, m) + "& r" + k;
        }
        out += ") {\n";
        for (const Method& m : iface.methods) {
            const std::string k = std::to_string(m.ordinal);
            if (m.oneway) {
                out += "    impl." + m.cxx + "(p" + k + ");\n";
            } else {
                out += "    { impl." + m.cxx + "(p" + k + ", r" + k +
                       ") } -> std::same_as<mk::Status>;\n";
            }
        }
        out += "};\n\n";
    }

    // Server.
    const std::string self = I + "Server<Impl, T, kSlots>";
    out += "// Serves " + I + " on a transport T: poll() validates requests and calls Impl\n";
    out += "// (docs/idl.md, \"Server\"). A handler that returns an error sends it as the reply.\n";
    out += "template <" + I + "Handler Impl, mk::idl::Transport T, mk::usize kSlots = 2>\n";
    out += "class " + I + "Server\n    : public mk::idl::ServerCore<" + self + ", T, " + sizes +
           ", kSlots> {\n";
    out += "    using Core = mk::idl::ServerCore<" + self + ", T, " + sizes + ", kSlots>;\n";
    out += "    friend Core;\n\n";
    out += "public:\n";
    out += "    " + I + "Server(Impl& impl, T& transport) : Core(transport, " + I +
           "::kInfo), impl_(impl) {}\n\n";
    out += "private:\n";
    out += "    mk::Status dispatch(const mk::idl::Message& m) {\n";
    if (iface.methods.empty()) {
        out += "        (void)m;\n";
    } else {
        out += "        switch (m.header.method) {\n";
        for (const Method& m : iface.methods) emit_dispatch_case(out, iface, m, model);
        out += "        }\n";
    }
    out += "        return mk::Error::UnknownMethod;\n    }\n\n";
    out += "    Impl& impl_;\n";
    out += "};\n\n";
}

}  // namespace urpcgen
