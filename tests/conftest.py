"""Settings shared by every test."""

import pytest
from hypothesis import settings

# Property tests check what is computed, not how fast: speed is measured in `benchmarks/`.
# Hypothesis's per-example deadline (200 ms) turns a busy machine into a failure, so it is off.
settings.register_profile("workforce", deadline=None)
settings.load_profile("workforce")


def pytest_collection_modifyitems(config, items):
    """Tests marked `long` first: with `-n 2` they then run beside the short ones instead of
    alone at the end, when the other worker has nothing left (collection order puts
    tests/test_cli.py last). Otherwise the order is kept."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


class _Probe(pytest.Item):
    """An item made only to read its node ID (see `pytest_sessionstart`)."""

    def runtest(self) -> None:
        raise AssertionError("the probe item is never collected, so never run")


def pytest_sessionstart(session):
    """Refuse to run when `--dist loadgroup` would not keep an `xdist_group` on one worker.

    Tests sharing a costly session fixture (a synthetic consortium's report, built in about
    half a minute) carry an `xdist_group` mark so that one worker builds it once. pytest-xdist
    3.8 groups them by appending ``@group`` to each test's ``_nodeid``; from pytest 9.2 a node
    ID no longer reads that attribute (pytest-dev/pytest-xdist#1386), so the grouping is
    silently lost and every worker builds every fixture, minutes longer with no test failing.
    The same assignment is tried here on a probe item, and the run stops if it has no effect.
    """
    config = session.config
    if config.getoption("dist", None) != "loadgroup" or hasattr(config, "workerinput"):
        return
    probe = _Probe.from_parent(session, name="probe")
    probe._nodeid = f"{probe.nodeid}@group"
    if not probe.nodeid.endswith("@group"):
        raise pytest.UsageError(
            f"--dist loadgroup cannot group tests with pytest {pytest.__version__} and this "
            "pytest-xdist (pytest-dev/pytest-xdist#1386): install the pytest that "
            "pyproject.toml pins (make install)"
        )
