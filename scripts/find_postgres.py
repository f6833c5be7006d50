"""Print a PostgreSQL URL the test suite can use, starting the local cluster if it is down.

Prints nothing (and exits 0) when no server can be reached: the Makefile then says plainly
that the PostgreSQL run was skipped. `WORKFORCE_TEST_POSTGRES_URL` overrides the default.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def reachable(url: str) -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("select 1")
        return True
    except Exception:  # any failure means "not usable", the reason is irrelevant here
        return False


def try_start_local_cluster() -> None:
    """Start Debian's packaged cluster if it is installed but stopped (CI machines run as root)."""
    if not shutil.which("pg_ctlcluster") or not os.path.isdir("/etc/postgresql"):
        return
    for version in sorted(os.listdir("/etc/postgresql")):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
            capture_output=True,
            timeout=60,
            check=False,
        )


def main() -> int:
    url = os.environ.get("WORKFORCE_TEST_POSTGRES_URL", DEFAULT_URL)
    if not reachable(url):
        try_start_local_cluster()
        for _ in range(10):
            if reachable(url):
                break
            time.sleep(1)
        else:
            return 0
    print(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
