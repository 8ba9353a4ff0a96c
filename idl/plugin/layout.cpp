// Layout: the largest encoded size of every struct and message, recursion
// and size-limit checks, and the order in which structs must be declared
// (a struct by value needs its field types complete first).
#include "plugin/layout.hpp"

#include <algorithm>
#include <map>

namespace urpcgen {

namespace {

// Sizes saturate here, far above any limit, so nothing overflows.
constexpr uint64_t kHuge = uint64_t{1} << 40;

uint64_t add(uint64_t a, uint64_t b) { return std::min(kHuge, a + b); }
uint64_t mul(uint64_t a, uint64_t b) { return a != 0 && b > kHuge / a ? kHuge : a * b; }

class Layout {
public:
    Layout(FileModel& model, Diagnostics& diag) : model_(model), diag_(diag) {
        for (size_t i = 0; i < model_.structs.size(); ++i) index_[model_.structs[i].id] = i;
        state_.assign(model_.structs.size(), State::New);
        size_.assign(model_.structs.size(), 0);
    }

    void run() {
        for (size_t i = 0; i < model_.structs.size(); ++i) struct_size(i);
        check_limits();
        order();
    }

private:
    enum class State { New, Visiting, Done };

    uint64_t type_size(const Type& t, const Field& f, const Struct& owner) {
        switch (t.kind) {
            case Kind::Bool: case Kind::Int8: case Kind::UInt8: return 1;
            case Kind::Int16: case Kind::UInt16: case Kind::Enum: return 2;
            case Kind::Int32: case Kind::UInt32: case Kind::Float32: return 4;
            case Kind::Int64: case Kind::UInt64: case Kind::Float64: case Kind::Cap: return 8;
            case Kind::Text: return 2 + uint64_t{t.max} + 1;
            case Kind::Data: return 2 + uint64_t{t.max};
            case Kind::List: return add(2, mul(t.max, type_size(*t.element, f, owner)));
            case Kind::Struct: {
                auto it = index_.find(t.id);
                if (it == index_.end()) return 0;
                if (state_[it->second] == State::Visiting) {
                    diag_.error(f.path, "struct '" + model_.structs[it->second].cxx +
                                            "' contains itself (field '" + f.name + "' of '" +
                                            owner.cxx + "'): recursive types are not supported");
                    return 0;
                }
                return struct_size(it->second);
            }
        }
        return 0;
    }

    uint64_t struct_size(size_t i) {
        if (state_[i] == State::Done) return size_[i];
        state_[i] = State::Visiting;
        uint64_t total = 0;
        const Struct& s = model_.structs[i];
        for (const Field& f : s.fields) total = add(total, type_size(f.type, f, s));
        state_[i] = State::Done;
        size_[i] = total;
        model_.structs[i].max_bytes = static_cast<size_t>(total);
        return total;
    }

    // True if t contains a named struct that is itself too large (already reported).
    bool holds_oversized(const Type& t) {
        if (t.kind == Kind::List) return holds_oversized(*t.element);
        if (t.kind != Kind::Struct) return false;
        auto it = index_.find(t.id);
        return it != index_.end() && size_[it->second] > kMaxMessageBytes;
    }

    uint64_t message_size(uint64_t id) {
        auto it = index_.find(id);
        return it == index_.end() ? 0 : size_[it->second];
    }

    bool message_ok(uint64_t id, const Method& m, const char* what) {
        auto it = index_.find(id);
        if (it == index_.end() || size_[it->second] <= kMaxMessageBytes) return true;
        const Struct& s = model_.structs[it->second];
        if (!s.message) return false;  // a named struct: reported at its declaration
        for (const Field& f : s.fields) {
            if (holds_oversized(f.type)) return false;
        }
        diag_.error(m.path, "method '" + m.name + "': " + what + " can take up to " +
                                std::to_string(size_[it->second]) + " bytes, more than the " +
                                std::to_string(kMaxMessageBytes) +
                                " a message can carry (255 fragments of 48 bytes)");
        return false;
    }

    void check_limits() {
        for (size_t i = 0; i < model_.structs.size(); ++i) {
            const Struct& s = model_.structs[i];
            if (s.message || size_[i] <= kMaxMessageBytes) continue;
            diag_.error(s.path, "struct '" + s.cxx + "' can take up to " + std::to_string(size_[i]) +
                                    " bytes, more than the " + std::to_string(kMaxMessageBytes) +
                                    " a message can carry (255 fragments of 48 bytes)");
        }
        for (Interface& iface : model_.interfaces) {
            iface.max_request = iface.max_reply = 0;
            for (Method& m : iface.methods) {
                if (message_ok(m.params, m, "its requests")) m.max_request = message_size(m.params);
                if (!m.oneway && message_ok(m.results, m, "its replies")) {
                    m.max_reply = message_size(m.results);
                }
                iface.max_request = std::max(iface.max_request, m.max_request);
                iface.max_reply = std::max(iface.max_reply, m.max_reply);
            }
        }
    }

    // Named structs in dependency order, then the method messages.
    void order() {
        std::vector<Struct> sorted;
        std::vector<bool> placed(model_.structs.size(), false);
        for (size_t i = 0; i < model_.structs.size(); ++i) {
            if (!model_.structs[i].message) place(i, placed, sorted);
        }
        for (const Struct& s : model_.structs) {
            if (s.message) sorted.push_back(s);
        }
        model_.structs = std::move(sorted);
    }

    void place(size_t i, std::vector<bool>& placed, std::vector<Struct>& out) {
        if (placed[i]) return;
        placed[i] = true;
        for (const Field& f : model_.structs[i].fields) {
            const Type* t = &f.type;
            if (t->kind == Kind::List) t = t->element.get();
            if (t->kind != Kind::Struct) continue;
            auto it = index_.find(t->id);
            if (it != index_.end()) place(it->second, placed, out);
        }
        out.push_back(model_.structs[i]);
    }

    FileModel& model_;
    Diagnostics& diag_;
    std::map<uint64_t, size_t> index_;
    std::vector<State> state_;
    std::vector<uint64_t> size_;
};

}  // namespace

void layout(FileModel& model, Diagnostics& diag) { Layout(model, diag).run(); }

}  // namespace urpcgen
