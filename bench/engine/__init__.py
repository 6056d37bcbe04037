"""The engine benchmark suite: the same seeded workloads through each engine's Python binding.

Run it with ``python -m bench.engine --help`` from a checkout (or ``kvstore bench engine``).
"""
