// Derivation-tree link surgery; see tree.hpp for the shape it maintains.
#include "caps/tree.hpp"

namespace mk::caps::detail {

using L = Links;

const Cte* group_head(const Cte* c) {
    while (is_copy_of(c->prev(), c->cap())) c = c->prev();
    return c;
}

void link_after(Cte* pos, Cte* n) {
    L::parent(*n) = L::parent(*pos);
    L::prev(*n) = pos;
    L::next(*n) = L::next(*pos);
    if (L::next(*pos) != nullptr) L::prev(*L::next(*pos)) = n;
    L::next(*pos) = n;
}

void link_before(Cte* pos, Cte* n) {
    Cte* parent = L::parent(*pos);
    L::parent(*n) = parent;
    L::next(*n) = pos;
    L::prev(*n) = L::prev(*pos);
    if (L::prev(*pos) != nullptr) {
        L::next(*L::prev(*pos)) = n;
    } else {
        L::first_child(*parent) = n;
    }
    L::prev(*pos) = n;
}

void link_child_sorted(Cte* head, Cte* n) {
    Cte* after = nullptr;
    for (Cte* c = L::first_child(*head); c != nullptr && !key_less(n->cap(), c->cap()); c = L::next(*c))
        after = c;
    if (after != nullptr) {
        link_after(after, n);
        return;
    }
    L::parent(*n) = head;
    L::prev(*n) = nullptr;
    L::next(*n) = L::first_child(*head);
    if (L::first_child(*head) != nullptr) L::prev(*L::first_child(*head)) = n;
    L::first_child(*head) = n;
}

void unlink(Cte* n) {
    if (L::prev(*n) != nullptr) {
        L::next(*L::prev(*n)) = L::next(*n);
    } else {
        L::first_child(*L::parent(*n)) = L::next(*n);
    }
    if (L::next(*n) != nullptr) L::prev(*L::next(*n)) = L::prev(*n);
    L::parent(*n) = nullptr;
    L::prev(*n) = nullptr;
    L::next(*n) = nullptr;
}

void move_children(Cte* from, Cte* to) {
    for (Cte* c = L::first_child(*from); c != nullptr; c = L::next(*c)) L::parent(*c) = to;
    L::first_child(*to) = L::first_child(*from);
    L::first_child(*from) = nullptr;
}

void replace_by_children(Cte* n) {
    Cte* first = L::first_child(*n);
    if (first == nullptr) {
        unlink(n);
        return;
    }
    Cte* parent = L::parent(*n);
    Cte* last = first;
    for (Cte* c = first; c != nullptr; c = L::next(*c)) {
        L::parent(*c) = parent;
        last = c;
    }
    L::prev(*first) = L::prev(*n);
    if (L::prev(*n) != nullptr) {
        L::next(*L::prev(*n)) = first;
    } else {
        L::first_child(*parent) = first;
    }
    L::next(*last) = L::next(*n);
    if (L::next(*n) != nullptr) L::prev(*L::next(*n)) = last;
    L::first_child(*n) = nullptr;
    L::parent(*n) = nullptr;
    L::prev(*n) = nullptr;
    L::next(*n) = nullptr;
}

}  // namespace mk::caps::detail
