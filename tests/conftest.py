"""Shared fixtures and hypothesis profiles for the kvstore Python tests.

Hypothesis profiles: "ci" (deterministic, bounded; chosen automatically when
the CI environment variable is set), "dev" (the default) and "long" (for long
local runs). Choose one with HYPOTHESIS_PROFILE=name.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import kvstore
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    deadline=None,
    max_examples=1000,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A path for a database that does not exist yet."""
    return tmp_path / "db"


@pytest.fixture
def db(db_path: Path) -> Iterator[kvstore.DB]:
    """An open database, closed after the test."""
    with kvstore.DB(db_path) as handle:
        yield handle
