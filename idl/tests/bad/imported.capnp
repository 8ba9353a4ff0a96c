@0xa1b2c3d4e5f6070b;

using Shared = import "include/shared.capnp";

interface Service {
  get @0 () -> (item :Shared.Item, mode :Shared.Mode);
  peer @1 () -> (peer :Shared.Peer);
}
