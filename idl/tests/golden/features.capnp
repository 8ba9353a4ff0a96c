# Golden schema: nested declarations, named message structs, capabilities,
# bounded Text/Data/List, floats, keyword names, an own namespace.
@0xf8d42b79d10827b5;

using Urpc = import "/urpc.capnp";
$Urpc.namespace("mk::golden");

struct Entry {
  key @0 :Text $Urpc.maxLength(12);
  blob @1 :Data $Urpc.maxLength(64);
  weight @2 :Float32 = 0.5;
  flags @3 :List(Bool) $Urpc.maxLength(4);
  kind @4 :Kind;

  enum Kind {
    file @0;
    directory @1;
  }
}

interface Directory {
  struct Listing {
    entries @0 :List(Entry) $Urpc.maxLength(3);
    delete @1 :Bool;
  }

  lookup @0 Entry -> Entry;
  list @1 (from :Directory, limit :UInt8 = 3) -> (listing :Listing);
  watch @2 (watcher :Watcher) $Urpc.oneway;
}

interface Watcher {}
