// The invariant checker; see verify.hpp for the list of invariants.
#include "caps/verify.hpp"

#include "caps/tree.hpp"

namespace mk::caps {

namespace {

// Sizes are powers of two and a same-type child is strictly smaller, so a
// chain from a root is at most a root, 52 RAM levels (2^63 down to 2^12),
// 52 Frame levels and one object of another type: 106 capabilities.
// Re-attaching children on delete only shortens chains.
constexpr u64 kMaxDepth = 128;

class Checker {
public:
    explicit Checker(const CapTable& t) : root_(&t.root()) {}

    bool fail(const char* what, const Cte* at) {
        if (report.problem == nullptr) {
            report.problem = what;
            report.where = at;
        }
        return false;
    }

    // The local links of one capability and its relation to its parent and
    // to its previous sibling.
    bool node(const Cte* n) {
        if (n->empty()) return fail("empty slot in the tree", n);
        if (!well_formed(n->cap())) return fail("malformed capability", n);
        const Cte* p = n->parent();
        if (p == nullptr) return fail("capability without a parent link", n);
        if (n->prev() != nullptr) {
            if (n->prev()->next() != n) return fail("prev and next links disagree", n);
            if (n->prev()->parent() != p) return fail("siblings with different parents", n);
        } else if (p->first_child() != n) {
            return fail("first sibling is not its parent's first child", n);
        }
        if (n->next() != nullptr && (n->next()->prev() != n || n->next()->parent() != p))
            return fail("next sibling does not link back", n);
        if (n->first_child() != nullptr && n->first_child()->parent() != n)
            return fail("first child does not link back", n);
        if (detail::is_copy_of(n->prev(), n->cap())) {
            if (n->first_child() != nullptr) return fail("a copy other than the group head has children", n);
            if (n->prev()->cap().remote != n->cap().remote) return fail("copies disagree on remote flags", n);
        } else if (n->prev() != nullptr) {
            if (detail::key_less(n->cap(), n->prev()->cap())) return fail("siblings out of order", n);
            if (overlaps(extent_of(n->prev()->cap()), extent_of(n->cap()))) return fail("siblings overlap", n);
        }
        if (p == root_) return true;
        if (!detail::is_group_head(*p)) return fail("parent is not a group head", n);
        const Capability& pc = p->cap();
        if (!can_retype(pc.type, n->cap().type)) return fail("child type cannot come from its parent", n);
        const Extent pe = extent_of(pc), ne = extent_of(n->cap());
        if (!contains(pe, ne)) return fail("child outside its parent", n);
        if (pc.type == n->cap().type && ne.length() >= pe.length())
            return fail("same-type child not smaller than its parent", n);
        return true;
    }

    bool tree(u64 budget) {
        if (!root_->empty() || root_->parent() != nullptr || root_->prev() != nullptr || root_->next() != nullptr)
            return fail("the root has a capability or sibling links", root_);
        if (root_->first_child() != nullptr && root_->first_child()->parent() != root_)
            return fail("first child does not link back", root_);
        u64 steps = 0;
        u64 depth = 1;
        const Cte* n = root_->first_child();
        while (n != nullptr) {
            if (++steps > budget) return fail("step budget exhausted: a cycle?", n);
            if (!node(n)) return false;
            ++report.caps_in_tree;
            if (n->first_child() != nullptr) {
                if (++depth > kMaxDepth) return fail("tree deeper than its bound", n);
                n = n->first_child();
                continue;
            }
            while (n != root_ && n->next() == nullptr) {
                if (++steps > budget) return fail("step budget exhausted: a cycle?", n);
                n = n->parent();
                --depth;
            }
            if (n == root_) break;
            n = n->next();
        }
        return true;
    }

    bool slots(Span<const Span<const Cte>> arrays) {
        for (const Span<const Cte>& array : arrays) {
            for (const Cte& c : array) {
                if (c.empty()) {
                    if (c.parent() != nullptr || c.first_child() != nullptr || c.prev() != nullptr ||
                        c.next() != nullptr)
                        return fail("empty slot with links", &c);
                    continue;
                }
                ++report.caps_in_slots;
                if (!node(&c)) return false;
                u64 depth = 0;
                for (const Cte* p = c.parent(); p != root_; p = p->parent())
                    if (p == nullptr || ++depth > kMaxDepth) return fail("slot not linked into the tree", &c);
            }
        }
        return true;
    }

    VerifyReport report;

private:
    const Cte* root_;
};

}  // namespace

VerifyReport verify(const CapTable& table, Span<const Span<const Cte>> slots, bool complete, u64 budget) {
    Checker check(table);
    if (check.tree(budget) && check.slots(slots) && complete &&
        check.report.caps_in_slots != check.report.caps_in_tree)
        check.fail("the tree and the slots hold different capabilities", nullptr);
    return check.report;
}

}  // namespace mk::caps
