# Test schema with Float32/Float64 fields, lists, defaults and constants. Its
# stubs include idl/codec_float.hpp, so they need floating-point registers.

@0xf82e18afb8117f27;

using Urpc = import "/urpc.capnp";
$Urpc.namespace("mk::idl::test_floats");

const pi :Float64 = 3.141592653589793;
const half :Float32 = 0.5;

struct Sample {
  x @0 :Float32;
  y @1 :Float64;
  scale @2 :Float32 = 1.5;
  offset @3 :Float64 = -0.25;
}

interface Meter {
  record @0 (sample :Sample, series :List(Float64) $Urpc.maxLength(10),
             weights :List(Float32) $Urpc.maxLength(4)) -> (mean :Float64, first :Float32);
}
