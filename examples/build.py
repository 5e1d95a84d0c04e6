"""Write the example claims of ``arena.claims.zoo`` into ``examples/<name>/claim.json``.

Run: ``python examples/build.py`` (the files are committed; this rebuilds them).
Judge them: ``arena verify examples/*/claim.json``.
"""
from __future__ import annotations

from pathlib import Path

from arena.claims import zoo
from arena.claims import save_claim

EXAMPLES = {
    "a1_dead_relu": zoo.a1_dead_relu,  # bad_local_min (docs/catalogue.md A1: loss 2/3, witness at 0)
    "all_dead_relu": zoo.all_dead_relu,  # bad_local_min (A1b: loss 4 n+ n- / n^2)
    "float32_dead_relu": zoo.float32_dead_relu,  # bad_local_min after the polish
    "tanh_saddle": zoo.tanh_saddle,  # not_local_min (negative curvature)
    "relu_on_kink": zoo.relu_on_kink,  # not_local_min (one-sided descent)
    "a1_global_min": zoo.a1_global_min,  # not_bad (zero loss)
    "random_point": zoo.random_point,  # not_local_min
}

if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    for name, build in EXAMPLES.items():
        print(save_claim(build(), here / name / "claim.json"))
