// Two-level CSpace resolution; see cspace.hpp.
#include "caps/cspace.hpp"

namespace mk::caps {

namespace {

// The slot at `index` of the CNode in `node`, checking the node itself.
Result<Cte*> slot_in(const CapTable& table, const Cte& node, u64 index) {
    if (node.empty()) return Error::InvalidCap;
    if (node.cap().type != CapType::CNode) return Error::WrongType;
    if (index >= node.cap().slots()) return Error::OutOfRange;
    return table.slots_of(node.cap()) + index;
}

}  // namespace

Result<Cte*> lookup(const CapTable& table, const Cte& root, CapAddr addr, Level level) {
    if (level == Level::L1) {
        if (l2_index(addr) != 0) return Error::InvalidArgument;
        return slot_in(table, root, l1_index(addr));
    }
    if (level != Level::L2) return Error::InvalidArgument;
    Cte* l1 = TRY(slot_in(table, root, l1_index(addr)));
    return slot_in(table, *l1, l2_index(addr));
}

Result<Cte*> lookup_cap(const CapTable& table, const Cte& root, CapAddr addr, CapType type, Level level) {
    Cte* slot = TRY(lookup(table, root, addr, level));
    if (slot->empty()) return Error::InvalidCap;
    if (type != CapType::Null && slot->cap().type != type) return Error::WrongType;
    return slot;
}

}  // namespace mk::caps
