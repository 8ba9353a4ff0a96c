# Annotations understood by capnpc-urpc, the plugin that turns interfaces into
# URPC stubs (docs/idl.md). Import it with an absolute path, which resolves
# against the idl/ directory given to `capnp compile -I`:
#
#   using Urpc = import "/urpc.capnp";
#
# The ids below are fixed: the plugin recognises the annotations by them.

@0xee0628751cbcf5cf;

# The largest number of bytes (Text, Data) or elements (List) a field or
# parameter may hold, 1..65535. Required on every Text, Data and List: a
# message must have a known largest size so that buffers can be fixed.
annotation maxLength @0x857773b92320bfb0 (field, param) :UInt32;

# The method sends no reply: the client gets no call id and cannot learn
# whether or when the server handled the request. Results must be empty.
annotation oneway @0x88076263e15aea08 (method) :Void;

# The C++ namespace of the generated code, e.g. "mk::idl::boot" (the
# default is mk::idl::<file name without .capnp>).
annotation namespace @0xf6d693ae0a5999f2 (file) :Text;
