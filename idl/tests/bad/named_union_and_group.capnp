@0xa1b2c3d4e5f60702;

struct Request {
  kind :union {
    read @0 :Void;
    write @1 :UInt32;
  }
  where :group {
    offset @2 :UInt64;
    length @3 :UInt32;
  }
}
