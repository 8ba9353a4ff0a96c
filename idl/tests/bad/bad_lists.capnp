@0xa1b2c3d4e5f60705;

using Urpc = import "/urpc.capnp";

struct Table {
  rows @0 :List(List(UInt32)) $Urpc.maxLength(4);
  names @1 :List(Text) $Urpc.maxLength(4);
  blob @2 :AnyPointer;
  nothing @3 :Void;
}
