// Parent, children and depth of each core in a root's spanning tree.
#include "agree/topology.hpp"

namespace mk::agree {

u8 Topology::leader(u8 root, u8 node) const {
    const u8 group = u8(node / param_);
    // The root speaks for its own group; any other group's lowest core
    // speaks for that group.
    if (group == root / param_) return root;
    return u8(group * param_);
}

u8 Topology::parent(u8 root, u8 node) const {
    if (node == root) return kNoCore;
    switch (shape_) {
        case Shape::Flat: return root;
        case Shape::Tree: return abs(root, u8((rel(root, node) - 1) / param_));
        case Shape::Grouped: {
            const u8 l = leader(root, node);
            return l == node ? root : l;
        }
    }
    return kNoCore;
}

u64 Topology::children(u8 root, u8 node) const {
    u64 mask = 0;
    switch (shape_) {
        case Shape::Flat:
            if (node == root) mask = everyone() & ~(u64(1) << root);
            break;
        case Shape::Tree: {
            const u32 first = u32(rel(root, node)) * param_ + 1;
            for (u32 pos = first; pos < first + param_ && pos < cores_; ++pos)
                mask |= u64(1) << abs(root, u8(pos));
            break;
        }
        case Shape::Grouped:
            // Children are exactly the cores whose parent is `node`; the
            // groups are small, so asking parent() for each core is cheap
            // enough and keeps one definition of the shape.
            for (u8 c = 0; c < cores_; ++c)
                if (c != root && parent(root, c) == node) mask |= u64(1) << c;
            break;
    }
    return mask;
}

u8 Topology::depth(u8 root) const {
    u8 deepest = 0;
    for (u8 c = 0; c < cores_; ++c) {
        u8 d = 0;
        for (u8 at = c; at != root; at = parent(root, at)) ++d;
        if (d > deepest) deepest = d;
    }
    return deepest;
}

}  // namespace mk::agree
