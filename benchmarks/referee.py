"""Seconds per verdict against parameter count (about 10², 10³, 10⁴ parameters).

Each claim is the all-dead ReLU bad minimum of a 2-[h]-1 network on 40 separable points
(P = 4h + 1 parameters; its verdict is ``bad_local_min`` at every size), judged with the default
referee settings, including the badness search (64 restarts). With ``--certify`` each size is also
judged with ``certify=True`` when the referee has certificate support (otherwise the flag is
ignored and said so). Each time is the best of ``--repeats`` runs (the machine may be shared); the
CPU seconds (all threads) next to the wall-clock ones show how much of the wall time was waiting.
Targets on 2 cores: 1,000 parameters < 5 s, 10,000 < 60 s. The last line printed is
``seconds per verdict at 1000 params: S``.

    python benchmarks/referee.py                  # P = 101, 1001, 10001
    python benchmarks/referee.py --sizes 25 250 --certify
"""
from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[25, 250, 2500], help="hidden widths h (P = 4h + 1)")
    parser.add_argument("--certify", action="store_true", help="also time verdicts with certificates")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    can_certify = "certify" in RefereeConfig.__dataclass_fields__
    if args.certify and not can_certify:
        print("certify: this referee has no certificate support; timing without")
    modes = [False] + ([True] if args.certify and can_certify else [])
    judge(zoo.a1_dead_relu(), {"restarts": 1, "restart_steps": 1}, device=args.device)  # one-off imports and warm-up
    at_1000 = None
    for h in args.sizes:
        for certify in modes:
            seconds, cpu, verdict, P = time_verdict(h, certify, args.repeats, args.device)
            print(f"params {P:6d}  certify {str(certify):5s}  {seconds:8.2f} s wall  {cpu:8.2f} s cpu  "
                  f"verdict {verdict}", flush=True)
            if not certify and 500 <= P <= 2000:
                at_1000 = seconds
    if at_1000 is not None:
        print(f"seconds per verdict at 1000 params: {at_1000:.2f}")


if __name__ == "__main__":
    main()
