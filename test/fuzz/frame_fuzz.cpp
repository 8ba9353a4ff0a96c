// libFuzzer target for the generated frame decoder of idl/tests/kitchen_sink
// (every supported type, messages of up to 26 fragments). The input is cut
// into 56-byte payloads and fed to:
//   1. the decoding pipeline on its own, for both directions: check_frame,
//      reassembly, decode_message. Whatever decodes must re-encode to the
//      very same bytes (the encoding is canonical), or the target traps;
//   2. a real KitchenServer and a KitchenClient with calls of every method
//      waiting, as a peer would see them.
// Sanitizers (address, undefined) catch any out-of-bounds access.
//
// Built with -DIDL_FUZZ_SEEDS instead, it is a small program that writes a
// seed corpus of valid frames into the directory given as its argument.
#include <cstdio>
#include <cstring>
#include <string>

#include "kitchen_sink.urpc.hpp"

namespace {

namespace k = mk::idl::test;
using K = k::Kitchen;
using mk::idl::Payload;

template <typename T>
void must_round_trip(const mk::idl::Message& m) {
    T value;
    mk::idl::Reader r(m.bytes, m.size);
    if (!mk::idl::decode_message(r, value).ok()) return;
    static mk::u8 buf[mk::idl::kMaxMessageBytes];
    mk::idl::Writer w(buf, sizeof buf);
    encode(w, value);
    if (!w.status().ok() || w.size() != m.size || std::memcmp(buf, m.bytes, m.size) != 0) {
        __builtin_trap();  // accepted input that is not the canonical encoding
    }
}

void decode_request(const mk::idl::Message& m) {
    switch (m.header.method) {
        case 0: return must_round_trip<K::ScalarsParams>(m);
        case 1: return must_round_trip<K::ShapeParams>(m);
        case 2: return must_round_trip<K::BytesParams>(m);
        case 3: return must_round_trip<K::ListsParams>(m);
        case 4: return must_round_trip<K::AttachParams>(m);
        case 5: return must_round_trip<K::NotifyParams>(m);
        case 6: return must_round_trip<K::DefaultsParams>(m);
        case 7: return must_round_trip<K::NamedParams>(m);
        case 8: return must_round_trip<K::NoopParams>(m);
        case 9: return must_round_trip<K::FailParams>(m);
        case 10: return must_round_trip<K::KeywordsParams>(m);
        default: __builtin_trap();  // check_frame lets no other method through
    }
}

void decode_reply(const mk::idl::Message& m) {
    if (m.header.error) {
        mk::Error e;
        (void)mk::idl::parse_error_reply(m.bytes, m.size, e);
        return;
    }
    switch (m.header.method) {
        case 0: return must_round_trip<K::ScalarsResults>(m);
        case 1: return must_round_trip<K::ShapeResults>(m);
        case 2: return must_round_trip<K::BytesResults>(m);
        case 3: return must_round_trip<K::ListsResults>(m);
        case 4: return must_round_trip<K::AttachResults>(m);
        case 6: return must_round_trip<K::DefaultsResults>(m);
        case 7: return must_round_trip<K::NamedResults>(m);
        case 8: return must_round_trip<K::NoopResults>(m);
        case 9: return must_round_trip<K::FailResults>(m);
        case 10: return must_round_trip<K::KeywordsResults>(m);
        default: __builtin_trap();  // one-way 5 has no replies
    }
}

// Accepts everything it is sent and never has anything to receive.
struct Sink {
    mk::Status try_send(const Payload&) { return {}; }
    bool try_recv(Payload&) { return false; }
};

struct Impl {
    mk::Status scalars(const K::ScalarsParams& p, K::ScalarsResults& r) { r.s = p.s; return {}; }
    mk::Status shape(const K::ShapeParams& p, K::ShapeResults& r) { r.shape = p.shape; return {}; }
    mk::Status bytes(const K::BytesParams& p, K::BytesResults& r) { r.data = p.data; return {}; }
    mk::Status lists(const K::ListsParams&, K::ListsResults&) { return {}; }
    mk::Status attach(const K::AttachParams& p, K::AttachResults& r) { r.sink = p.sink; return {}; }
    void notify(const K::NotifyParams&) {}
    mk::Status defaults(const K::DefaultsParams&, K::DefaultsResults&) { return {}; }
    mk::Status named(const K::NamedParams& p, K::NamedResults& r) { r = p; return {}; }
    mk::Status noop(const K::NoopParams&, K::NoopResults&) { return {}; }
    mk::Status fail(const K::FailParams& p, K::FailResults&) { return static_cast<mk::Error>(p.code); }
    mk::Status keywords(const K::KeywordsParams& p, K::KeywordsResults& r) { r.k = p.k; return {}; }
};

// Results of the calls the client has waiting; static, as they are large.
K::ScalarsResults scalars_out;
K::ShapeResults shape_out;
K::BytesResults bytes_out;
K::ListsResults lists_out;

[[maybe_unused]] void fuzz(const mk::u8* data, size_t size) {
    // Everything starts afresh for each input, so that a crash reproduces.
    mk::idl::Reassembler<K::kMaxRequestBytes, 2> requests;
    mk::idl::Reassembler<K::kMaxReplyBytes, 2> replies;
    Sink sink;
    Impl impl;
    k::KitchenServer<Impl, Sink, 2> server(impl, sink);
    k::KitchenClient<Sink, 16, 2> client(sink);

    // Calls waiting for replies (ids 1 to 4), so that replies can match one.
    (void)client.scalars(K::ScalarsParams{}, &scalars_out);
    (void)client.shape(K::ShapeParams{}, &shape_out);
    (void)client.bytes(K::BytesParams{}, &bytes_out);
    (void)client.lists(K::ListsParams{}, &lists_out);

    for (size_t off = 0; off < size; off += sizeof(Payload)) {
        Payload p{};
        size_t n = size - off < sizeof p ? size - off : sizeof p;
        std::memcpy(&p, data + off, n);
        mk::idl::Header h = mk::idl::Header::unpack(p.w[0]);
        mk::idl::Message m;
        if (mk::idl::check_frame(K::kInfo, h, p, false).ok()) {
            mk::Result<bool> done = requests.add(h, p, m);
            if (done.ok() && done.value()) decode_request(m);
        }
        if (mk::idl::check_frame(K::kInfo, h, p, true).ok()) {
            mk::Result<bool> done = replies.add(h, p, m);
            if (done.ok() && done.value()) decode_reply(m);
        }
        (void)server.accept(p);
        (void)client.accept(p);
    }
}

}  // namespace

#ifndef IDL_FUZZ_SEEDS

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, unsigned long size) {
    fuzz(data, size);
    return 0;
}

#else

// Collects what a client sends, to write it out as seeds.
struct Recorder {
    std::string bytes;
    mk::Status try_send(const Payload& p) {
        bytes.append(reinterpret_cast<const char*>(&p), sizeof p);
        return {};
    }
    bool try_recv(Payload&) { return false; }
};

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s SEED_DIR\n", argv[0]);
        return 2;
    }
    Recorder rec;
    k::KitchenClient<Recorder, 16> client(rec);
    int n = 0;
    auto save = [&] {
        std::string path = std::string(argv[1]) + "/seed-" + std::to_string(n++);
        FILE* f = std::fopen(path.c_str(), "wb");
        if (f == nullptr) return;
        std::fwrite(rec.bytes.data(), 1, rec.bytes.size(), f);
        std::fclose(f);
        rec.bytes.clear();
    };
    K::ShapeParams shape;
    (void)shape.shape.name.assign("seed");
    (void)shape.shape.points.push(k::Point{1, 2});
    (void)client.shape(shape);
    save();
    K::BytesParams bytes;
    mk::u8 blob[300];
    for (int i = 0; i < 300; ++i) blob[i] = static_cast<mk::u8>(i);
    (void)bytes.data.assign(blob, sizeof blob);
    (void)bytes.note.assign("note");
    (void)client.bytes(bytes);
    save();
    K::ListsParams lists;
    (void)lists.flags.push(true);
    (void)lists.colors.push(k::Color::DarkBlue);
    (void)lists.words.push(7);
    (void)client.lists(lists);
    save();
    (void)client.scalars(K::ScalarsParams{});
    (void)client.notify(3);
    (void)client.defaults(K::DefaultsParams{});
    (void)client.attach(K::AttachParams{});
    (void)client.keywords(K::KeywordsParams{});
    save();
    return 0;
}

#endif
