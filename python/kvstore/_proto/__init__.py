"""Generated gRPC stubs of kvstore's API (proto/). Regenerate with scripts/gen_proto.py."""
