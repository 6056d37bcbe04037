"""pytest-benchmark micro-benchmarks of the kvstore binding (python -m pytest bench/micro)."""
