@0xa1b2c3d4e5f60708;

using Urpc = import "/urpc.capnp";

interface Base {
  hello @0 () -> ();
}

interface Derived extends(Base) {
  poll @0 () -> ();
  log @1 (line :UInt32) -> (ok :Bool) $Urpc.oneway;
  feed @2 (chunk :UInt32) -> stream;
}
