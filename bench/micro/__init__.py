"""pytest-benchmark micro-benchmarks (python -m pytest bench/micro --benchmark-only): the
binding's hot calls (test_binding.py) and the engine's hot C++ primitives through
kvstore._core._primitives (test_primitives.py)."""
