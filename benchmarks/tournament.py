"""Where a tournament's time goes, and what parallel workers buy.

Plays the default tournament (or any ``python -m arena`` arguments) into a fresh folder and prints
its wall-clock time, the CPU time of all its processes (less sensitive to other jobs on a shared
machine), the load average around it, and the time per phase summed over the matches'
``result.json`` (``defend``, ``attack``, ``referee``; with several workers the sum exceeds the wall
clock), with the attackers that cost most.

    python benchmarks/tournament.py                              # python -m arena (isolation=process)
    python benchmarks/tournament.py -- isolation=none            # one process, one match at a time
    python benchmarks/tournament.py --joblib                     # multirun on joblib, 1 vs 2 workers

``--joblib`` plays every attacker against every defender as a Hydra multirun with the joblib
launcher, once with ``n_jobs=1`` and once with ``n_jobs=2``, and prints ``ratio joblib 2/1 workers``
(how many times faster two workers are).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def play(args: list[str], out: Path) -> tuple[float, float]:
    """Run ``python -m arena ARGS out_dir=OUT``; returns (wall-clock seconds, CPU seconds of all its processes)."""
    env = dict(os.environ, WANDB_MODE="offline", WANDB_SILENT="true")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "arena", *args, f"out_dir={out}", "progress=false"], cwd=ROOT,
                          env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"python -m arena {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def phases(out: Path) -> tuple[int, collections.Counter, dict[str, float]]:
    """(matches, seconds per phase summed, attack+referee seconds per attacker)."""
    total, per_attacker = collections.Counter(), collections.Counter()
    count = 0
    for path in out.glob("matches/*/result.json"):
        result = json.loads(path.read_text())
        count += 1
        timings = result.get("timings", {})
        total.update({k: v for k, v in timings.items() if k in ("defend", "attack", "referee", "total", "cpu")})
        per_attacker[result["attacker"]] += timings.get("total", 0.0)
    return count, total, dict(per_attacker.most_common(3))


def report(label: str, args: list[str]) -> float:
    with tempfile.TemporaryDirectory(prefix="arena-bench-") as tmp:
        load = os.getloadavg()[0]
        seconds, cpu = play(args, Path(tmp) / "out")
        count, total, top = phases(Path(tmp) / "out")
    summed = " ".join(f"{k}={v:.1f}s" for k, v in sorted(total.items()))
    print(f"{label}: {count} matches in {seconds:.1f} s wall, {cpu:.1f} s CPU of waited processes (load average {load:.2f} -> "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)")
    print(f"  per phase, summed over matches: {summed}")
    print("  costliest attackers (match seconds): " + ", ".join(f"{a} {s:.1f}" for a, s in top.items()))
    return seconds


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--joblib", action="store_true", help="compare a joblib multirun on 1 and 2 workers")
    p.add_argument("arena_args", nargs="*", help="arguments for python -m arena (after --)")
    args = p.parse_args(argv)
    if not args.joblib:
        report("python -m arena " + " ".join(args.arena_args), args.arena_args)
        return
    sweep = ["-m", "launcher=joblib", "attacker=glob(*)", "defender=glob(*)", *args.arena_args]
    one = report("joblib, 1 worker", [*sweep, "hydra.launcher.n_jobs=1"])
    two = report("joblib, 2 workers", [*sweep, "hydra.launcher.n_jobs=2"])
    print(f"ratio joblib 2/1 workers: {one / two:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
