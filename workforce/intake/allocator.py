"""The allocator Arrow's buffers come from while an export is read and mapped.

pyarrow's wheels carry three allocators and default to mimalloc. On the intake benchmark's
export (a million rows, 15 columns; see docs/performance.md), eight runs of each,
interleaved, `ingest_file` took 0.98–1.14 s (median 1.03 s) with jemalloc and 1.37–1.62 s
(median 1.45 s) with mimalloc; the read alone, 0.27–0.28 s with jemalloc and 0.23–0.50 s
with mimalloc, some runs fast and some twice as slow. Most of the gain is in mapping and
checking, which allocate and free many column-sized buffers from several threads, and it
holds only when the buffers read come from jemalloc too. So reading and ingesting run with
jemalloc as Arrow's default pool, and the process's own default comes back afterwards.
It also gives memory back sooner, which matters in a web server's long-lived workers: two
seconds after the result of that ingest was dropped the process held 151 MiB with jemalloc
and 689 MiB with mimalloc (895 MiB at the peak). Where this pyarrow has no jemalloc (its
Windows wheels), the default stays.

The default pool is one per process: a web server may ingest two uploads at once, so the
switch is counted, and the default comes back only when the last one ends. A buffer
remembers the pool it came from, so records built here can outlive the switch.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

_lock = threading.Lock()
_running = 0
_default: pa.MemoryPool | None = None


def jemalloc_pool() -> pa.MemoryPool | None:
    """Arrow's jemalloc pool, or None where this pyarrow was built without it."""
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:
        return None


@contextmanager
def jemalloc_while_running() -> Iterator[None]:
    """Arrow's default pool is jemalloc inside (usable as a decorator)."""
    global _running, _default
    pool = jemalloc_pool()
    if pool is None:
        yield
        return
    with _lock:
        if _running == 0:
            _default = pa.default_memory_pool()
            pa.set_memory_pool(pool)
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0:
                pa.set_memory_pool(_default)
                _default = None
