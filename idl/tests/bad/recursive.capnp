@0xa1b2c3d4e5f60709;

using Urpc = import "/urpc.capnp";

struct Node {
  value @0 :UInt32;
  next @1 :Link;
}

struct Link {
  target @0 :Node;
}

struct Tree {
  children @0 :List(Tree) $Urpc.maxLength(2);
}
