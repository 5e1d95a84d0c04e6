"""Seconds per verdict against parameter count (about 10², 10³, 10⁴ parameters).

Each claim is the all-dead ReLU bad minimum of a 2-[h]-1 network on 40 separable points
(P = 4h + 1 parameters; its verdict is ``bad_local_min`` at every size), judged with the default
referee settings, including the badness search (64 restarts). With ``--certify`` each size is also
judged with ``certify=True`` when the referee has certificate support (otherwise the flag is
ignored and said so). Each time is the best of ``--repeats`` runs (the machine may be shared); the
CPU seconds (all threads) next to the wall-clock ones show how much of the wall time was waiting.
Each size is judged in a fresh process, so its peak memory (the process's maximum resident set,
imports included) is its own. Targets on 2 cores: 1,000 parameters < 5 s, 10,000 < 60 s, 100,000
< 60 s and < 4 GB. The last line printed is ``seconds per verdict at 1000 params: S``.

    python benchmarks/referee.py                  # P = 101, 1001, 10001
    python benchmarks/referee.py --sizes 25000    # P = 100,001
    python benchmarks/referee.py --sizes 25 250 --certify
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import torch

from arena.claims import zoo
from arena.referee.config import RefereeConfig
from arena.referee.judge import judge


def time_verdict(hidden: int, certify: bool, repeats: int, device: str) -> tuple[float, float, str, int]:
    """Best wall-clock and CPU seconds (all threads) of one verdict, its verdict and P."""
    claim = zoo.all_dead_relu(n_pos=25, n_neg=15, hidden=hidden)
    cfg = {"certify": True} if certify else {}
    best, cpu, verdict = float("inf"), float("inf"), ""
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        v = judge(claim, cfg, device=device)
        best, cpu, verdict = min(best, time.perf_counter() - t), min(cpu, time.process_time() - c), v.verdict
    steps = {k: round(t, 2) for k, t in v.evidence.get("timings", {}).items() if k != "total"}
    print(f"  steps (s): {steps}", flush=True)
    return best, cpu, verdict, v.evidence.get("num_params", 0)


def one_size(h: int, modes: list[bool], args: argparse.Namespace) -> list[dict]:
    """Judge the size-h claim in this process (after a warm-up); rows of the table, peak RSS included."""
    judge(zoo.a1_dead_relu(), {"restarts": 1, "restart_steps": 1}, device=args.device)  # one-off imports and warm-up
    rows = []
    for certify in modes:
        seconds, cpu, verdict, P = time_verdict(h, certify, args.repeats, args.device)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
        rows.append({"P": P, "certify": certify, "seconds": seconds, "cpu": cpu, "verdict": verdict, "peak_gib": peak})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[25, 250, 2500], help="hidden widths h (P = 4h + 1)")
    parser.add_argument("--certify", action="store_true", help="also time verdicts with certificates")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child process: this size, JSON rows out
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    can_certify = "certify" in RefereeConfig.__dataclass_fields__
    if args.certify and not can_certify:
        print("certify: this referee has no certificate support; timing without")
    modes = [False] + ([True] if args.certify and can_certify else [])
    if args.one is not None:
        print("ROWS " + json.dumps(one_size(args.one, modes, args)))
        return
    at_1000 = None
    for h in args.sizes:
        cmd = [sys.executable, __file__, "--one", str(h), "--repeats", str(args.repeats), "--device", args.device,
               "--threads", str(args.threads), *(["--certify"] if args.certify else [])]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        lines = proc.stdout.splitlines()
        print("\n".join(ln for ln in lines if not ln.startswith("ROWS ")), flush=True)
        rows = [json.loads(ln[5:]) for ln in lines if ln.startswith("ROWS ")]
        if proc.returncode != 0 or not rows:
            print(f"h={h}: failed: {proc.stderr.strip().splitlines()[-1:]}", flush=True)
            continue
        for r in rows[0]:
            print(f"params {r['P']:6d}  certify {str(r['certify']):5s}  {r['seconds']:8.2f} s wall  {r['cpu']:8.2f} s cpu  "
                  f"peak {r['peak_gib']:5.2f} GiB  verdict {r['verdict']}", flush=True)
            if not r["certify"] and 500 <= r["P"] <= 2000:
                at_1000 = r["seconds"]
    if at_1000 is not None:
        print(f"seconds per verdict at 1000 params: {at_1000:.2f}")


if __name__ == "__main__":
    main()
