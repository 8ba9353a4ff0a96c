# Golden schema: the smallest useful interface, default namespace.
@0xefb12b55b82f29da;

using Urpc = import "/urpc.capnp";

enum Level {
  low @0;
  high @1;
}

const maxLevel :Level = high;

struct Reading {
  sensor @0 :UInt16;
  level @1 :Level;
  value @2 :Int32 = -1;
}

interface Probe {
  read @0 (sensor :UInt16) -> (reading :Reading);
  reset @1 () $Urpc.oneway;
}
