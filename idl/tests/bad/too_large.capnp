@0xa1b2c3d4e5f6070a;

using Urpc = import "/urpc.capnp";

struct Page {
  bytes @0 :Data $Urpc.maxLength(8192);
  more @1 :Data $Urpc.maxLength(8192);
}

interface Pager {
  fetch @0 (index :UInt32) -> (page :Page);
  store @1 (words :List(UInt64) $Urpc.maxLength(2000)) -> ();
}
