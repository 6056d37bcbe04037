"""Generated from proto/kvstore/ by scripts/gen_proto.py. Do not edit."""
