@0xa1b2c3d4e5f6070e;

using Urpc = import "/urpc.capnp";
$Urpc.namespace("mk::9lives");

struct CounterClient {
  value @0 :UInt32;
}

interface Counter {
  encode @0 () -> ();
}
