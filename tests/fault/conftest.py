"""The fault test's skips: it needs PostgreSQL, and Debian's redis-server and nginx (.ci/run
installs both and sets the database)."""

from __future__ import annotations

import pytest

from tests.fault.processes import binary

needs_redis_server = pytest.mark.skipif(
    binary("redis-server") is None,
    reason="redis-server is not installed (.ci/run installs Debian's redis-server)",
)
needs_nginx = pytest.mark.skipif(
    binary("nginx") is None, reason="nginx is not installed (.ci/run installs Debian's nginx)"
)
