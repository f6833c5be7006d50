"""What `workforce serve` runs with unless told otherwise.

In a module of their own, free of imports, so that the command line shows them in its help
without loading the server (structlog, granian) first.
"""

# Web worker processes: one per core of the two-core machine the platform is sized for.
WORKERS = 2

# Threads per worker that run requests. Two keep a worker busy while one of them waits for
# the database; more only contend for the interpreter (measured in docs/performance.md).
THREADS = 2

# How long an idle connection is kept open for the next request. Served directly (the demo,
# development) a few seconds, enough for a browser's next request. Behind the TLS proxy of
# a production installation the connections are the proxy's pool: kept longer than the
# proxy keeps an idle one (60 s in docs/deploying.md), so that the proxy always closes first
# and never sends a request down a connection the server has just closed (a POST it could
# not safely send again would fail with a 502). granian applies it as the time it waits for
# a request's headers, which on a kept connection is the time it lies idle.
KEEPALIVE_DIRECT = 5
KEEPALIVE_BEHIND_PROXY = 75
