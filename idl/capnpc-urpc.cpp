// capnpc-urpc: the Cap'n Proto compiler plugin that turns idl/*.capnp
// interfaces into freestanding C++ stubs for URPC channels (docs/idl.md).
//
//   capnp compile -I idl -o path/to/capnpc-urpc:OUTDIR --src-prefix=DIR file.capnp
//
// capnp parses the schema and pipes a CodeGeneratorRequest to stdin, with the
// working directory set to OUTDIR. For every requested file the plugin
// writes <stem>.urpc.hpp there, or prints `file:line: error: message` for
// each unsupported construct and exits with status 1. The request has no
// source positions, so the plugin reads the schema text itself to find lines:
// from $URPC_SRC_PREFIX/<name> when that is set (the build sets it to the
// --src-prefix), otherwise from <name> in the directory capnp was run in.
#include <capnp/schema.capnp.h>
#include <capnp/serialize.h>
#include <kj/exception.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>

#include "plugin/diagnostics.hpp"
#include "plugin/emit.hpp"
#include "plugin/layout.hpp"
#include "plugin/names.hpp"
#include "plugin/schema.hpp"
#include "plugin/source_map.hpp"

namespace {

// Reads the schema text for line numbers; returns the name to print in
// messages (the path read, or the request's name if nothing could be read).
std::string load_source(const std::string& filename, urpcgen::SourceMap& map, bool& loaded) {
    loaded = false;
    if (const char* prefix = std::getenv("URPC_SRC_PREFIX"); prefix != nullptr && *prefix != 0) {
        std::string path = std::string(prefix) + "/" + filename;
        if (map.load(path)) {
            loaded = true;
            return path;
        }
    }
    if (!filename.empty() && filename[0] == '/' && map.load(filename)) {
        loaded = true;
        return filename;
    }
    // Without --src-prefix, capnp names files relative to its own working
    // directory. The plugin runs in the output directory, but capnp itself
    // (our parent) still has the original one; Linux shows it in /proc.
    char cwd[4096];
    std::string link = "/proc/" + std::to_string(getppid()) + "/cwd";
    ssize_t n = readlink(link.c_str(), cwd, sizeof cwd - 1);
    if (n > 0) {
        cwd[n] = 0;
        if (map.load(std::string(cwd) + "/" + filename)) loaded = true;
    }
    return filename;
}

bool write_file(const std::string& path, const std::string& text) {
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) return false;
        out << text;
        if (!out.flush()) return false;
    }
    return std::rename(tmp.c_str(), path.c_str()) == 0;
}

int run() {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = uint64_t{1} << 30;
    options.nestingLimit = 256;
    capnp::StreamFdMessageReader message(STDIN_FILENO, options);
    auto request = message.getRoot<capnp::schema::CodeGeneratorRequest>();

    int status = 0;
    std::set<std::string> outputs;
    for (auto file : request.getRequestedFiles()) {
        std::string filename = file.getFilename();
        urpcgen::SourceMap map;
        bool loaded = false;
        std::string display = load_source(filename, map, loaded);
        urpcgen::Diagnostics diag(display, loaded ? &map : nullptr);

        urpcgen::SchemaWalker walker(request, diag);
        urpcgen::FileModel model = walker.walk(file.getId(), filename);
        if (!diag.any()) urpcgen::layout(model, diag);
        std::string output = urpcgen::file_stem(filename) + ".urpc.hpp";
        if (!diag.any() && !outputs.insert(output).second) {
            diag.error({}, "another schema of this run also generates " + output);
        }
        if (diag.any()) {
            diag.print(std::cerr);
            status = 1;
            continue;
        }
        if (!write_file(output, urpcgen::emit_header(model))) {
            std::cerr << display << ": error: cannot write " << output << '\n';
            status = 1;
        }
    }
    return status;
}

}  // namespace

int main() {
    try {
        return run();
    } catch (const kj::Exception& e) {
        std::cerr << "capnpc-urpc: error: malformed CodeGeneratorRequest: "
                  << e.getDescription().cStr() << '\n';
    } catch (const std::exception& e) {
        std::cerr << "capnpc-urpc: error: " << e.what() << '\n';
    }
    return 1;
}
