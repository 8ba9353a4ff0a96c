@0xa1b2c3d4e5f60706;

using Urpc = import "/urpc.capnp";

struct Limits {
  count @0 :UInt32 $Urpc.maxLength(4);
  empty @1 :Text $Urpc.maxLength(0);
  huge @2 :Data $Urpc.maxLength(70000);
}
