"""The node benchmark: kvstore's gRPC node against etcd and Redis (python -m bench.node)."""
