"""Soundness of the referee on planted near-miss claims with known answers, scored like a
verification competition: +1 for a right verdict, 0 for ``inconclusive`` (or ``error``), −15 for a
wrong one (a non-minimum accepted, ``bad_local_min``/``not_bad``, or a minimum rejected,
``not_local_min``). The required result is zero wrong verdicts.

Families (each claim's answer follows from its construction, derived in its builder):

* ``saddle_order_p``: the origin of a linear chain w_D···w₁·x (width 1, no biases, D = 2..9
  factors): the loss drops like −r^D along the product direction; p = 2 is an ordinary saddle,
  p = 9 is below float64's resolution in every probe ball. Plus the switched-off exponential
  neuron (order 4) and a ReLU saddle rescaled by 10^±4. Answer: not a minimum;
* ``basin_lam``: the origin of a 2-2-2-2-1 network (linear or tanh) with an ``l2`` penalty λ:
  ∇L = 0, ∇²L = λI (every path has four factors), so a strict minimum whose basin, ~√(λ/2c), runs
  from about 3e-3 to beyond 1e-1 as λ grows, and down to about 5e-5 as the inputs grow (c ∝ |x|;
  the probes descend down to radius 1e-4 with |x| scaled by 1e5).
  Answer: a minimum;
* ``kink_*``: a ReLU unit on its kink or 1e-12 either side, where crossing pays (a basin far below
  the probe floor counts as none, as documented). Answer: not a minimum;
* ``cond_k``: the least-squares point of a linear model whose features are scaled so the Hessian's
  condition number is k (up to 1e10): a global minimum of a convex loss. Answer: a minimum;
* ``a1_*``: the A1 bad minimum, rescaled by 10^±4 and with its samples permuted. Answer: a minimum;
* ``student_*``: teacher–student points where the loss is not twice differentiable: parallel units
  (a split saddle; the global minimum with a duplicated unit) and a zero unit (beside a unit that
  fits the teacher; with a teacher unit left unmatched). Answers: as named.

Prints one line per claim, then the score, the counts and the time. The referee runs with
``restarts = 0`` (what is scored is the local verdict: a minimum counts as accepted when the verdict
is ``bad_local_min`` or ``not_bad``).

    python benchmarks/soundness.py                 # every claim (a few minutes on 2 cores)
    python benchmarks/soundness.py --only saddle   # the claims whose name contains "saddle"
"""
from __future__ import annotations

import argparse
import math
import time
from typing import Callable

import torch

from arena.claims import Claim, zoo
from arena.referee.judge import judge_safely

F64 = torch.float64
MIN, NOT_MIN = "min", "not_min"
ACCEPT = ("bad_local_min", "not_bad")
HOLD = ("inconclusive", "error")


def _zeros(dims: list[int]) -> dict[str, torch.Tensor]:
    return {f"layers.{i}.weight": torch.zeros(dims[i + 1], dims[i], dtype=F64) for i in range(len(dims) - 1)}


def saddle_chain(depth: int) -> Claim:
    X = torch.tensor([[1.2], [0.4], [-0.8], [-1.7]], dtype=F64)
    y = torch.tensor([1.0, 1.0, -1.0, -1.0], dtype=F64)
    setting = {"network": {"input_dim": 1, "hidden": [1] * (depth - 1), "neuron": "linear", "bias": False},
               "loss": "quadratic_hinge"}
    return Claim(setting, X, y, _zeros([1] * (depth + 1)))


def exp_switched_off() -> Claim:
    from arena.attackers.dead_relu import DeadRelu
    from arena.contract import Budget
    from arena.landscape.setting import Setting

    setting = Setting.from_config({"network": {"input_dim": 2, "hidden": [3], "neuron": "relu", "exp_neuron": True},
                                   "loss": "quadratic_hinge", "regularizer": {"name": "exp_neuron_l2", "weight": 0.05}})
    return DeadRelu().attack(setting, None, Budget(), seed=3)[0]


def relu_saddle(scale: float) -> Claim:
    """relu(x) on x = 1, 2, 5 with output weight 0: gradient 0, a negative Hessian eigenvalue."""
    theta = {"layers.0.weight": torch.tensor([[scale]], dtype=F64), "layers.0.bias": torch.zeros(1, dtype=F64),
             "layers.1.weight": torch.zeros(1, 1, dtype=F64), "layers.1.bias": torch.zeros(1, dtype=F64)}
    X = torch.tensor([[-2.0], [1.0], [2.0], [5.0]], dtype=F64)
    return Claim({"network": {"input_dim": 1, "hidden": [1], "neuron": "relu"}, "loss": "quadratic_hinge"},
                 X, torch.tensor([-1.0, 1.0, 1.0, -1.0], dtype=F64), theta)


def basin(lam: float, neuron: str, xscale: float = 1.0) -> Claim:
    gen = torch.Generator().manual_seed(31)
    X = 3 * xscale * torch.randn(12, 2, generator=gen, dtype=F64)
    y = torch.sign(X[:, 0] - 0.7 * X[:, 1])
    setting = {"network": {"input_dim": 2, "hidden": [2, 2, 2], "neuron": neuron, "bias": False},
               "loss": "quadratic_hinge", "regularizer": {"name": "l2", "weight": lam}}
    return Claim(setting, X, y, _zeros([2, 2, 2, 2, 1]))


def kink(offset: float) -> Claim:
    c = zoo.relu_on_kink()
    theta = dict(c.theta)
    theta["layers.0.bias"] = torch.tensor([offset], dtype=F64)
    return Claim(c.setting, c.X, c.y, theta)


def conditioned(k: float) -> Claim:
    gen = torch.Generator().manual_seed(5)
    X = torch.randn(16, 2, generator=gen, dtype=F64) * torch.tensor([1.0, k ** -0.5], dtype=F64)
    y = torch.sign(X[:, 0] + 0.2 * torch.randn(16, generator=gen, dtype=F64))
    A = torch.cat([X, torch.ones(16, 1, dtype=F64)], 1)
    sol = torch.linalg.lstsq(A, y.unsqueeze(1)).solution.squeeze(1)  # the squared loss's unique minimiser
    theta = {"layers.0.weight": sol[:2].reshape(1, 2).clone(), "layers.0.bias": sol[2:].clone()}
    return Claim({"network": {"input_dim": 2, "hidden": []}, "loss": "squared"}, X, y, theta)


def a1(scale: float, permute: bool) -> Claim:
    c = zoo.a1_dead_relu()
    order = torch.tensor([3, 1, 0, 2]) if permute else torch.arange(4)
    theta = dict(c.theta)
    theta["layers.0.weight"], theta["layers.0.bias"] = c.theta["layers.0.weight"] * scale, c.theta["layers.0.bias"] * scale
    theta["layers.1.weight"] = c.theta["layers.1.weight"] / scale
    return Claim(c.setting, c.X[order], c.y[order], theta)


def students(W: list[list[float]], k: int) -> Claim:
    W_t = torch.tensor(W, dtype=F64)
    n, d = W_t.shape
    return Claim({"task": "teacher_student", "k": k, "n": n, "d": d}, torch.zeros(0, 0, dtype=F64),
                 torch.zeros(0, dtype=F64), {"W": W_t})


def planted() -> list[tuple[str, Callable[[], Claim], str]]:
    c2 = (1 + 3 * math.pi / 4) / (2 * math.pi)  # two equal units against teacher I₂: a split saddle
    out = [(f"saddle_order_{p}", (lambda p=p: saddle_chain(p)), NOT_MIN) for p in range(2, 10)]
    out += [("saddle_exp_order_4", exp_switched_off, NOT_MIN),
            ("saddle_relu_rescaled_1e4", lambda: relu_saddle(1e4), NOT_MIN),
            ("saddle_relu_rescaled_1e-4", lambda: relu_saddle(1e-4), NOT_MIN)]
    out += [(f"basin_{neuron}_lam_{lam:g}", (lambda lam=lam, neuron=neuron: basin(lam, neuron)), MIN)
            for neuron in ("linear", "tanh") for lam in (3e-6, 3e-5, 3e-4, 3e-3)]
    # larger inputs raise the quartic coefficient c ∝ |x|, shrinking the basin √(λ/2c) towards the floor
    out += [(f"basin_linear_lam_3e-06_x{xs:g}", (lambda xs=xs: basin(3e-6, "linear", xs)), MIN)
            for xs in (1e2, 1e4, 1e5)]
    out += [(f"kink_{name}", (lambda off=off: kink(off)), NOT_MIN) for name, off in
            (("on", 0.0), ("below_1e-12", -1e-12), ("above_1e-12", 1e-12))]
    out += [(f"cond_{k:g}", (lambda k=k: conditioned(k)), MIN) for k in (1e2, 1e6, 1e10)]
    out += [("a1_rescaled_1e4_permuted", lambda: a1(1e4, True), MIN), ("a1_rescaled_1e-4", lambda: a1(1e-4, False), MIN)]
    out += [("student_split_saddle", lambda: students([[c2, c2], [c2, c2]], 2), NOT_MIN),
            ("student_duplicate_global_min", lambda: students([[0.5, 0.0, 0.0], [0.5, 0.0, 0.0]], 1), MIN),
            # a zero unit: beside a unit that already fits the teacher (loss 0), or with a teacher unit
            # unmatched, where moving it toward e₂ lowers F at first order: t·(−κ(e₂, e₂)) = −t/2
            ("student_zero_unit_global_min", lambda: students([[1.0, 0.0], [0.0, 0.0]], 1), MIN),
            ("student_zero_unit_first_order", lambda: students([[1.0, 0.0], [0.0, 0.0]], 2), NOT_MIN)]
    return out


def score(answer: str, verdict: str) -> tuple[int, str]:
    if verdict in HOLD:
        return 0, verdict
    right = verdict in ACCEPT if answer == MIN else verdict == "not_local_min"
    return (1, "right") if right else (-15, "wrong")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="judge only the claims whose name contains this")
    ap.add_argument("--seed", type=int, default=2024, help="the referee's probe seed")
    args = ap.parse_args()
    total, counts, t0 = 0, {"right": 0, "wrong": 0, "inconclusive": 0, "error": 0}, time.perf_counter()
    for name, make, answer in planted():
        if args.only not in name:
            continue
        t = time.perf_counter()
        v = judge_safely(make(), {"restarts": 0, "seed": args.seed, "certify": False}, device="cpu")
        points, kind = score(answer, v.verdict)
        total += points
        counts[kind] += 1
        print(f"{name:32s} answer {answer:8s} verdict {v.verdict:14s} {points:+4d}  {time.perf_counter() - t:6.1f} s"
              + (f"  ({v.reasons[0][:100]})" if kind != "right" else ""), flush=True)
    print(f"score {total}; right {counts['right']}, wrong {counts['wrong']}, inconclusive {counts['inconclusive']}, "
          f"error {counts['error']}; {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
