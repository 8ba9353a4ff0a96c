# Declarations imported by ../imported.capnp (not a test case itself).
@0xa1b2c3d4e5f6070c;

struct Item {
  id @0 :UInt32;
}

enum Mode {
  fast @0;
  safe @1;
}

interface Peer {
  hello @0 () -> ();
}
