@0xa1b2c3d4e5f60707;

using Urpc = import "/urpc.capnp";

struct Config {
  name @0 :Text = "none" $Urpc.maxLength(8);
  ratio @1 :Float64 = inf;
  level @2 :UInt8 = 3;
}
