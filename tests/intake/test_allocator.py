"""Intake reads and maps with Arrow's jemalloc pool and gives the process its own back."""

from __future__ import annotations

import importlib
import threading

import pyarrow as pa
import pytest

from workforce.intake import allocator, ingest_file, saved_mapping
from workforce.intake.allocator import jemalloc_while_running

needs_jemalloc = pytest.mark.skipif(allocator.jemalloc_pool() is None,
                                    reason="this pyarrow was built without jemalloc")


@pytest.fixture
def system_pool():
    """The process's default pool set to the system allocator, so a restore is visible."""
    before = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    yield pa.system_memory_pool()
    pa.set_memory_pool(before)


def pool_inside_reading(monkeypatch):
    """The default pool's backend seen from inside the read of an export."""
    seen = []
    read_module = importlib.import_module("workforce.intake.read")
    original = read_module._arrow_csv

    def watching(*args, **kwargs):
        seen.append(pa.default_memory_pool().backend_name)
        return original(*args, **kwargs)

    monkeypatch.setattr(read_module, "_arrow_csv", watching)
    return seen


@needs_jemalloc
def test_an_export_is_read_and_mapped_with_jemalloc_and_the_default_comes_back(
        consortium, system_pool, monkeypatch):
    seen = pool_inside_reading(monkeypatch)
    result = ingest_file(consortium / "exports" / "nsgc_roster_2025.csv",
                         saved_mapping("nsgc"), org="nsgc")
    assert result.report.accepted > 0
    assert seen and set(seen) == {"jemalloc"}
    assert pa.default_memory_pool().backend_name == system_pool.backend_name


@needs_jemalloc
def test_two_uploads_at_once_keep_jemalloc_until_the_last_one_ends(system_pool):
    first_inside, first_may_end = threading.Event(), threading.Event()
    during = []

    def first():
        with jemalloc_while_running():
            first_inside.set()
            first_may_end.wait(5)

    worker = threading.Thread(target=first)
    worker.start()
    assert first_inside.wait(5)
    with jemalloc_while_running():
        first_may_end.set()
        worker.join(5)
        # The first upload has ended; the second still allocates from jemalloc.
        during.append(pa.default_memory_pool().backend_name)
    assert during == ["jemalloc"]
    assert pa.default_memory_pool().backend_name == system_pool.backend_name


def test_a_pyarrow_without_jemalloc_ingests_with_its_default(consortium, system_pool,
                                                             monkeypatch):
    def missing():
        raise NotImplementedError("jemalloc support is not enabled")

    monkeypatch.setattr(pa, "jemalloc_memory_pool", missing)
    seen = pool_inside_reading(monkeypatch)
    result = ingest_file(consortium / "exports" / "nsgc_roster_2025.csv",
                         saved_mapping("nsgc"), org="nsgc")
    assert result.report.accepted > 0
    assert seen and set(seen) == {system_pool.backend_name}
    assert pa.default_memory_pool().backend_name == system_pool.backend_name


def test_an_export_that_fails_to_read_still_gives_the_default_back(tmp_path, system_pool):
    broken = tmp_path / "roster_2025.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    with pytest.raises(Exception, match="roster_2025.xlsx"):
        ingest_file(broken, saved_mapping("nsgc"), org="nsgc")
    assert pa.default_memory_pool().backend_name == system_pool.backend_name
