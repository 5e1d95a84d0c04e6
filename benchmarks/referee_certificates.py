"""Time per proof certificate (build and independent re-check), per item.

Items: the certificates of the attackers' constructions (dead_relu, all_dead on one and two hidden
layers, logistic_dead, linear_region, concavity_trap), a strict minimum of a 1-1-1 tanh network,
least-squares linear models (the strict-minimum lemma alone) at ``--sizes`` up to 1,000
parameters, all-dead ReLU networks (the piecewise-linear reduction) at every ``--sizes``, and bad
strict minima of l2-regularized tanh networks (the strict-minimum lemma above 600 parameters: float
midpoint-radius enclosure and one Cholesky) at ``--strict-sizes``. Each line prints the item, its
parameter count, whether it is proved, and the seconds to build and to re-check. The last line is
``seconds per certificate at 1000 params: S`` (the least-squares lemma at the last size <= 1000).

    python benchmarks/referee_certificates.py                          # 10² … 10⁵; strict 10³, 10⁴
    python benchmarks/referee_certificates.py --sizes 100 300 --strict-sizes   # smaller, faster
"""
from __future__ import annotations

import argparse
import time

import torch

from arena.attackers.all_dead import AllDead
from arena.attackers.concavity_trap import ConcavityTrap
from arena.attackers.dead_relu import DeadRelu
from arena.attackers.linear_region import LinearRegion
from arena.attackers.logistic_dead import LogisticDead
from arena.claims import Claim
from arena.contract import Budget
from arena.landscape.setting import Setting
from arena.referee.proofs import certify, check
from arena.referee.proofs.balls import NotCertified, precision
from arena.referee.proofs.check import derive

f64 = torch.float64


def _setting(d, hidden, neuron="relu", loss="quadratic_hinge"):
    return Setting.from_config({"network": {"input_dim": d, "hidden": hidden, "neuron": neuron}, "loss": loss})


def constructions() -> list[tuple[str, Claim]]:
    leaky = {"name": "leaky_relu", "slope": 0.1}
    items = [("dead_relu 1-[1]-1", DeadRelu(dataset="notes", active=1), _setting(1, [1])),
             ("dead_relu 2-[4]-1", DeadRelu(), _setting(2, [4])),
             ("all_dead 2-[4]-1", AllDead(), _setting(2, [4])),
             ("all_dead 2-[4,4]-1", AllDead(), _setting(2, [4, 4])),
             ("logistic_dead 1-[1]-1", LogisticDead(), _setting(1, [1], loss="logistic")),
             ("linear_region 2-[2]-1 leaky", LinearRegion(), _setting(2, [2], leaky, "squared")),
             ("concavity_trap 1-[2]-1 softplus", ConcavityTrap(), _setting(1, [2], "softplus"))]
    return [(name, a.attack(s, None, Budget(), seed=0)[0]) for name, a, s in items]


def least_squares(params: int, seed: int = 0) -> Claim:
    """A linear model with ``params`` parameters at its least-squares (global, strict) minimum."""
    d, n = params - 1, params + params // 5
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=f64)
    y = torch.where(X[:, 0] + torch.randn(n, generator=g, dtype=f64) > 0, 1.0, -1.0).to(f64)
    A = torch.cat([X, torch.ones(len(y), 1, dtype=f64)], 1)
    beta = torch.linalg.lstsq(A, y[:, None]).solution[:, 0]
    s = Setting.from_config({"network": {"input_dim": d, "hidden": []}, "loss": "squared"})
    theta = s.unflatten(beta)
    return Claim(s.to_config(), X, y, theta)


def all_dead(params: int, d: int = 8) -> Claim:
    hidden = max(1, (params - 1) // (d + 2))
    s = _setting(d, [hidden])
    g = torch.Generator().manual_seed(0)
    X = torch.rand(40, d, generator=g, dtype=f64) * 2 - 1
    y = torch.where(X[:, 0] > 0, 1.0, -1.0).to(f64)
    theta = s.init_params(generator=g)
    theta["layers.0.bias"] = torch.full((hidden,), -20.0, dtype=f64)
    pos = float((y > 0).to(f64).mean())
    theta["layers.1.bias"] = torch.tensor([2 * pos - 1], dtype=f64)
    witness = s.init_params(generator=g)
    witness["layers.0.weight"][0] = 0
    witness["layers.0.weight"][0, 0] = 1.0
    witness["layers.0.bias"][:] = -20.0
    witness["layers.0.bias"][0] = 0.0
    witness["layers.1.weight"][:] = 0
    witness["layers.1.weight"][0, 0] = 2.0
    witness["layers.1.bias"] = torch.tensor([-1.0], dtype=f64)
    return Claim(s.to_config(), X, y, theta, witness=witness)


def time_lemma(name: str, claim: Claim) -> float:
    """The strict-minimum lemma alone (these minima are global, so there is no badness to prove)."""
    s = Setting.from_config(claim.setting)
    t = time.perf_counter()
    with precision():
        try:
            d = derive(s, claim.X, claim.y, s.flatten(claim.theta).tolist(), 1e-6, "strict_minimum")
            status = "strict minimum proved" if d.lemma.holds else f"not proved: {d.lemma.failure()[:60]}"
        except NotCertified as exc:
            status = f"not proved: {str(exc)[:60]}"
    seconds = time.perf_counter() - t
    print(f"{name:34s} {s.num_params:6d} params  {status:40s} lemma {seconds:8.3f} s", flush=True)
    return seconds


def tanh_strict() -> Claim:
    X = torch.linspace(-3, 3, 13, dtype=f64)[:, None]
    y = torch.tensor([-1.0] * 5 + [1.0, -1.0, 1.0] + [1.0] * 5, dtype=f64)
    s = _setting(1, [1], "tanh", "squared")
    theta = s.unflatten(torch.tensor([0.81142292, 0.22188355, 1.09034238, -0.01387676], dtype=f64))
    from scipy.optimize import minimize

    f = lambda u: s.empirical_loss(s.unflatten(torch.as_tensor(u, dtype=f64)), X, y)  # noqa: E731
    res = minimize(lambda u: float(f(u)), s.flatten(theta).numpy(), method="BFGS", options={"gtol": 1e-14})
    theta = s.unflatten(torch.as_tensor(res.x, dtype=f64))
    return Claim(s.to_config(), X, y, theta)


def tanh_l2(params: int, d: int = 30, n: int = 200, seeds: int = 2) -> Claim:
    """The worse of ``seeds`` L-BFGS minima of an l2-regularized d-[h]-1 tanh network (P = h(d + 2) + 1
    ≈ params) on XOR-like Gaussian data, with the better one as witness (the certificate's own Newton
    steps finish L-BFGS's end points)."""
    from scipy.optimize import minimize

    h = max(1, (params - 1) // (d + 2))
    g = torch.Generator().manual_seed(0)
    X = torch.randn(n, d, generator=g, dtype=f64)
    y = torch.where(X[:, 0] * X[:, 1] + 0.3 * torch.randn(n, generator=g, dtype=f64) > 0, 1.0, -1.0).to(f64)
    s = Setting.from_config({"network": {"input_dim": d, "hidden": [h], "neuron": "tanh"}, "loss": "logistic",
                             "regularizer": {"name": "l2", "weight": 0.01}})

    def fg(a):
        t = torch.tensor(a, requires_grad=True)
        loss = s.empirical_loss(s.unflatten(t), X, y)
        return float(loss.detach()), torch.autograd.grad(loss, t)[0].numpy()

    ends = []
    for seed in range(seeds):
        start = s.flatten(s.init_params(generator=torch.Generator().manual_seed(seed))).numpy() * 3
        res = minimize(fg, start, jac=True, method="L-BFGS-B", options={"maxiter": 5000, "gtol": 1e-9})
        ends.append((res.fun, s.unflatten(torch.tensor(res.x))))
    ends.sort(key=lambda e: e[0])
    return Claim(s.to_config(), X, y, ends[-1][1], witness=ends[0][1])


def time_item(name: str, claim: Claim) -> float:
    s = Setting.from_config(claim.setting)
    t = time.perf_counter()
    cert = certify(s, claim.theta, claim.X, claim.y, claim_theta=claim.theta,
                   witnesses=[("claim witness", claim.witness)])
    build = time.perf_counter() - t
    t = time.perf_counter()
    checked = check(claim, cert)[0] if cert["proof"] else None
    recheck = time.perf_counter() - t
    status = "proved" if cert["proof"] else f"no proof ({cert['reason'][:70]})"
    print(f"{name:34s} {s.num_params:6d} params  {status:40s} build {build:8.3f} s  re-check "
          f"{recheck:8.3f} s  {'checked' if checked else ''}", flush=True)
    return build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10_000, 100_000])
    parser.add_argument("--strict-sizes", type=int, nargs="*", default=[1000, 10_000])
    args = parser.parse_args()
    for name, claim in constructions():
        time_item(name, claim)
    time_lemma("tanh 1-[1]-1 strict minimum", tanh_strict())
    last, at = None, None
    for p in args.sizes:
        time_item(f"all_dead relu ~{p} params", all_dead(p))
        if p <= 1000:  # a least-squares Jacobian is [1.2p, p]: beyond 10³ it only measures the data's size
            last, at = time_lemma(f"least squares {p} params", least_squares(p)), p
    for p in args.strict_sizes:
        time_item(f"tanh l2 bad minimum ~{p} params", tanh_l2(p))
    if last is not None:
        print(f"seconds per certificate at {at} params: {last:.3f}")


if __name__ == "__main__":
    main()
