"""What drawing costs, per match: computing the pictures' data, drawing them, and the site.

Run on a finished tournament folder (copied first, so its pictures are not touched)::

    python -m arena out_dir=/tmp/bench logger=none budget=smoke referee=fast
    python benchmarks/report.py /tmp/bench

Prints one line per match (compute and draw seconds) and the totals; the last line is
``per match: compute C s, draw D s; site S s; match time M s (tournament), ratio report/match R``.
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from arena.report import data as D
from arena.report import figures
from arena.report.build import compute_match, _finite
from arena.report.site import write_site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, help="a tournament's out_dir")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp()) / args.dir.name
    shutil.copytree(args.dir, work, ignore=shutil.ignore_patterns("wandb", "report", "fig_*"))
    compute = draw = played = 0.0
    n = 0
    for match_dir in sorted(p.parent for p in work.glob("matches/*/result.json")):
        played += float(json.loads((match_dir / "result.json").read_text()).get("timings", {}).get("total", 0.0))
        md = D.load_match(match_dir)
        if md is None:
            continue
        t = time.perf_counter()
        pictures = compute_match(md)
        c = time.perf_counter() - t
        t = time.perf_counter()
        for name, d in pictures.items():
            getattr(figures, f"draw_{name}")(_finite(d), match_dir / f"fig_{name}.png")
        dr = time.perf_counter() - t
        print(f"{match_dir.name}: compute {c:.2f} s, draw {dr:.2f} s ({len(pictures)} pictures)")
        compute, draw, n = compute + c, draw + dr, n + 1
    t = time.perf_counter()
    write_site(work)
    site = time.perf_counter() - t
    shutil.rmtree(work.parent)
    n = max(n, 1)
    print(f"per match: compute {compute / n:.2f} s, draw {draw / n:.2f} s; site {site:.2f} s; "
          f"match time {played / n:.2f} s (tournament), ratio report/match {(compute + draw) / max(played, 1e-9):.2f}")


if __name__ == "__main__":
    main()
