// The spanning trees an agreement round travels on. Every operation involves
// every core; its coordinator is the root of the tree its messages use, so
// there is one tree per possible coordinator, computed on demand from a
// small description rather than stored (no allocation, no tables to keep in
// step across cores). All cores must use the same Topology.
//
//   Flat:    the root talks to every other core itself: depth 1, but the root
//            sends and receives n-1 messages per step.
//   Tree:    a k-ary tree over the cores renumbered relative to the root:
//            depth about log_k(n), at most k children per core.
//   Grouped: cores come in groups of `group` consecutive numbers (the cores
//            of one socket, say); the root talks to its own group and to one
//            leader per other group, and each leader to its group, so every
//            cross-group message crosses the interconnect once.
#pragma once

#include "agree/message.hpp"

namespace mk::agree {

class Topology {
public:
    enum class Shape : u8 { Flat, Tree, Grouped };

    static constexpr Topology flat(u8 cores) { return Topology(Shape::Flat, cores, 0); }
    static constexpr Topology tree(u8 cores, u8 fanout) { return Topology(Shape::Tree, cores, fanout); }
    static constexpr Topology grouped(u8 cores, u8 group) { return Topology(Shape::Grouped, cores, group); }

    // A topology is usable if it has 1..kMaxCores cores and a non-zero
    // fan-out or group size where the shape needs one.
    constexpr bool valid() const {
        if (cores_ == 0 || cores_ > kMaxCores) return false;
        return shape_ == Shape::Flat || param_ >= 1;
    }

    constexpr u8 cores() const { return cores_; }
    constexpr Shape shape() const { return shape_; }
    constexpr u8 param() const { return param_; }

    // The core a message for `root`'s operation reaches `node` from, or
    // kNoCore for the root itself. Both must be < cores().
    u8 parent(u8 root, u8 node) const;
    // The cores `node` forwards `root`'s messages to, as a bit mask.
    u64 children(u8 root, u8 node) const;
    // The number of edges from the root to the deepest core.
    u8 depth(u8 root) const;

    // Every core, as a bit mask.
    constexpr u64 everyone() const { return cores_ == 64 ? ~u64(0) : (u64(1) << cores_) - 1; }

private:
    constexpr Topology(Shape s, u8 cores, u8 param) : shape_(s), cores_(cores), param_(param) {}

    // Tree: positions relative to the root, so every root gets the same shape.
    u8 rel(u8 root, u8 node) const { return u8((node + cores_ - root) % cores_); }
    u8 abs(u8 root, u8 pos) const { return u8((pos + root) % cores_); }
    // Grouped: the core that speaks for `node`'s group in `root`'s tree.
    u8 leader(u8 root, u8 node) const;

    Shape shape_;
    u8 cores_;
    u8 param_;  // Tree: fan-out; Grouped: group size
};

constexpr const char* shape_name(Topology::Shape s) {
    switch (s) {
        case Topology::Shape::Flat: return "flat";
        case Topology::Shape::Tree: return "tree";
        case Topology::Shape::Grouped: return "grouped";
    }
    return "unknown";
}

}  // namespace mk::agree
