"""The synthetic consortium: three societies' members, exports, truth and a member survey.

Used by the demo, the tests and the benchmarks. Deterministic: the same seed and scale write
byte-identical files. Pure core: no Django here.

    from workforce.synth import generate
    manifest = generate(Path("synth"), scale=1.0, seed=2025)
"""

from workforce.synth.generate import SynthFile, SynthManifest, generate

__all__ = ["SynthFile", "SynthManifest", "generate"]
