"""Settings shared by every test."""

from hypothesis import settings

# Property tests check what is computed, not how fast: speed is measured in `benchmarks/`.
# Hypothesis's per-example deadline (200 ms) turns a busy machine into a failure, so it is off.
settings.register_profile("workforce", deadline=None)
settings.load_profile("workforce")
