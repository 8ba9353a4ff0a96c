# Test schema: every type capnpc-urpc supports, messages of one and of many
# fragments in both directions, one-way and failing methods, capabilities,
# defaults, constants, nested and named declarations. No floats, so its
# stubs also build with the CPU driver's -mgeneral-regs-only (floats.capnp
# has those). Used by the tests in idl/tests and by test/fuzz.

@0x97a5a079c98122e9;

using Urpc = import "/urpc.capnp";
$Urpc.namespace("mk::idl::test");

enum Color {
  red @0;
  green @1;
  darkBlue @2;
}

const maxItems :UInt32 = 8;
const defaultColor :Color = darkBlue;
const answer :Int64 = -42;
const enabled :Bool = true;

struct Point {
  x @0 :Int32;
  y @1 :Int32;
}

struct Scalars {
  flag @0 :Bool;
  i8 @1 :Int8;
  i16 @2 :Int16;
  i32 @3 :Int32;
  i64 @4 :Int64;
  u8 @5 :UInt8;
  u16 @6 :UInt16;
  u32 @7 :UInt32;
  u64 @8 :UInt64;
  color @9 :Color;
}

struct Shape {
  name @0 :Text $Urpc.maxLength(16);
  color @1 :Color = darkBlue;
  points @2 :List(Point) $Urpc.maxLength(8);
  origin @3 :Point;
  tags @4 :List(Tag) $Urpc.maxLength(4);
  kind @5 :Kind;

  struct Tag {
    label @0 :Text $Urpc.maxLength(8);
    weight @1 :UInt16 = 7;
  }

  enum Kind {
    polygon @0;
    circle @1;
  }
}

# Field names that are C++ keywords get a trailing underscore.
struct Keywords {
  class @0 :UInt8;
  new @1 :UInt8;
}

# Handed over as a capability in Kitchen.attach.
interface Sink {
  push @0 (value :UInt32) -> ();
}

interface Empty {}

interface Kitchen {
  scalars @0 (s :Scalars) -> (s :Scalars);
  shape @1 (shape :Shape) -> (area :Int64, shape :Shape);
  # Up to 1205 bytes each way: 26 fragments.
  bytes @2 (data :Data $Urpc.maxLength(1000), note :Text $Urpc.maxLength(200))
      -> (data :Data $Urpc.maxLength(1000), sum :UInt64, note :Text $Urpc.maxLength(200));
  lists @3 (flags :List(Bool) $Urpc.maxLength(64), colors :List(Color) $Urpc.maxLength(16),
            words :List(UInt64) $Urpc.maxLength(100), small :List(Int8) $Urpc.maxLength(3))
      -> (count :UInt32);
  attach @4 (sink :Sink, sinks :List(Sink) $Urpc.maxLength(4)) -> (sink :Sink);
  notify @5 (code :UInt16) $Urpc.oneway;
  defaults @6 (a :UInt32 = 7, b :Bool = true, c :Color = green, d :Int64 = -5)
      -> (a :UInt32, b :Bool, c :Color, d :Int64);
  named @7 Point -> Point;
  noop @8 () -> ();
  # The server answers with the error code given (an Error value).
  fail @9 (code :UInt16) -> ();
  keywords @10 (k :Keywords) -> (k :Keywords);
}
