"""Population engine: batched training equals per-network training, L-BFGS polish, Lightning wrapper."""
from __future__ import annotations

import math

import pytest
import torch

from arena.engine.lightning import PopulationModule, fit_population
from arena.engine.population import PopulationLoss, polish_lbfgs, resolve_device, train_population
from arena.landscape.setting import Setting

F64 = torch.float64


@pytest.fixture(autouse=True)
def one_thread():
    """These tensors are tiny: one intra-op thread avoids OpenMP/MKL stalls (milliseconds per op)
    when other jobs share the cores, and keeps the file fast."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def separable_data(n: int = 40, d: int = 2, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """n points in [-1, 1]^d labelled by a random linear separator, with a margin of 0.1."""
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(d, generator=g, dtype=F64)
    X = torch.empty(0, d, dtype=F64)
    while X.shape[0] < n:
        cand = 2 * torch.rand(4 * n, d, generator=g, dtype=F64) - 1
        X = torch.cat([X, cand[(cand @ w).abs() / w.norm() > 0.1]])
    X = X[:n]
    return X, torch.sign(X @ w)


def setting_of(hidden: list[int], neuron: object = "relu", loss: object = "quadratic_hinge", **extra: object) -> Setting:
    network = {"input_dim": 2, "hidden": hidden, "neuron": neuron}
    network.update({k: v for k, v in extra.items() if k in ("skip", "exp_neuron", "bias", "input_dim")})
    return Setting.from_config({"network": network, "loss": loss, "regularizer": extra.get("regularizer")})


def population(setting: Setting, k: int, seed: int = 1, scale: float = 1.0) -> dict[str, torch.Tensor]:
    return setting.init_params(k, generator=torch.Generator().manual_seed(seed), dtype=F64, scale=scale)


# -- devices ------------------------------------------------------------------------------------
def test_resolve_device_names() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device(None).type == expected
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(" CPU ") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    for bad in ("gpu", "banana", "cuda:x", "", "mps"):
        with pytest.raises(ValueError, match="device"):
            resolve_device(bad)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised without CUDA")
def test_resolve_device_cuda_missing() -> None:
    for name in ("cuda", "cuda:0"):
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device(name)


# -- the fused loss -----------------------------------------------------------------------------
FUSED_CASES = [
    dict(hidden=[16]),
    dict(hidden=[5, 4], loss="logistic", regularizer={"name": "l2", "weight": 0.01}),
    dict(hidden=[5, 4, 2], neuron="softplus", loss="squared", skip=True, exp_neuron=True,
         regularizer=[{"name": "l2", "weight": 0.01}, "exp_neuron_l2"]),
    dict(hidden=[], bias=False, loss="exponential"),
    dict(hidden=[3], neuron={"name": "leaky_relu", "slope": 0.1}, bias=False, skip=True, loss="hinge"),
    dict(hidden=[3], neuron="tanh", exp_neuron=True, loss="smooth_hinge", regularizer="generic_l2"),
]


@pytest.mark.parametrize("case", FUSED_CASES, ids=lambda c: "-".join(map(str, c["hidden"])) + str(c.get("neuron", "relu")))
def test_fused_loss_matches_setting(case: dict) -> None:
    s = setting_of(**case)
    X, y = separable_data(30)
    y[::7] = -y[::7]  # some errors, so every loss has active pieces
    p = population(s, 7)
    if "exp.a" in p:
        g = torch.Generator().manual_seed(5)
        p["exp.a"] = 0.3 * torch.randn(7, generator=g, dtype=F64)
        p["exp.w"] = 0.3 * torch.randn(7, 2, generator=g, dtype=F64)
    flat = s.flatten(p)
    loss, grad = PopulationLoss(s, X, y).value_and_grad(flat)
    leaf = flat.clone().requires_grad_(True)
    ref = s.empirical_loss(s.unflatten(leaf), X, y)
    (ref_grad,) = torch.autograd.grad(ref.sum(), leaf)
    torch.testing.assert_close(loss, ref.detach(), rtol=0, atol=1e-12)
    torch.testing.assert_close(grad, ref_grad, rtol=0, atol=1e-12)


@pytest.mark.parametrize("case", FUSED_CASES, ids=lambda c: "-".join(map(str, c["hidden"])) + str(c.get("neuron", "relu")))
def test_fused_forward_is_the_shared_forward(case: dict) -> None:
    """The engine's fast path computes the network output of :func:`arena.landscape.network.mlp_forward`."""
    from arena.engine.population import _FusedMLP, _MLPPlan, _Workspace
    from arena.landscape.network import mlp_forward

    s = setting_of(**case)
    X, _ = separable_data(30)
    p = population(s, 5)
    if "exp.a" in p:
        p["exp.a"] = torch.full((5,), 0.4, dtype=F64)
        p["exp.w"] = 0.2 * torch.ones(5, 2, dtype=F64)
    fused = _FusedMLP.apply(_MLPPlan.from_setting(s), _Workspace(), s.flatten(p), X, X.t().contiguous())
    shared = mlp_forward(s.mlp, s.neuron, p, X)
    assert shared.shape == fused.shape == (5, 30)
    assert shared.abs().max() > 0.1  # a non-trivial output, so equality says something
    torch.testing.assert_close(fused, shared, rtol=0, atol=1e-12)


def test_fused_loss_refuses_stale_backward() -> None:
    """Buffers are reused between calls; a backward through an overwritten one must fail loudly."""
    s = setting_of([4])
    X, y = separable_data(10)
    objective = PopulationLoss(s, X, y)
    flat = s.flatten(population(s, 3)).requires_grad_(True)
    first = objective(flat)
    objective(flat + 1.0)
    with pytest.raises(RuntimeError, match="inplace"):
        first.sum().backward()


# -- first-order training -----------------------------------------------------------------------
def separate_runs(s: Setting, X: torch.Tensor, y: torch.Tensor, params: dict[str, torch.Tensor], *, steps: int,
                  lr: float, optimizer: str, momentum: float = 0.0) -> dict[str, torch.Tensor]:
    """The reference: one nn.Module and one torch.optim optimizer per network, one at a time."""
    k = s.batch_shape(params)[0]
    out: dict[str, list[torch.Tensor]] = {name: [] for name in params}
    for i in range(k):
        net = s.build().to(F64)
        with torch.no_grad():
            for name, p in net.named_parameters():
                p.copy_(params[name][i])
        opt = (torch.optim.Adam(net.parameters(), lr=lr) if optimizer == "adam"
               else torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum))
        for _ in range(steps):
            opt.zero_grad()
            s.empirical_loss(dict(net.named_parameters()), X, y).backward()
            opt.step()
        for name, p in net.named_parameters():
            out[name].append(p.detach().clone())
    return {name: torch.stack(v) for name, v in out.items()}


@pytest.mark.parametrize("optimizer,momentum", [("adam", 0.0), ("sgd", 0.9)])
def test_stacked_training_equals_separate_runs(optimizer: str, momentum: float) -> None:
    s = setting_of([6], regularizer={"name": "l2", "weight": 1e-3})
    X, y = separable_data(30)
    p = population(s, 5)
    res = train_population(s, X, y, p, lr=2e-2, steps=60, optimizer=optimizer, momentum=momentum, device="cpu")
    ref = separate_runs(s, X, y, p, steps=60, lr=2e-2, optimizer=optimizer, momentum=momentum)
    for name in p:
        torch.testing.assert_close(res.params[name], ref[name], rtol=0, atol=1e-12)
    assert res.steps == 60 and res.seconds > 0
    torch.testing.assert_close(res.loss, s.empirical_loss(ref, X, y), rtol=0, atol=1e-12)


def test_training_does_not_modify_input_params() -> None:
    s = setting_of([4])
    X, y = separable_data(20)
    p = population(s, 3)
    before = {k: v.clone() for k, v in p.items()}
    train_population(s, X, y, p, lr=1e-2, steps=5, device="cpu")
    for k in p:
        assert torch.equal(p[k], before[k])


def test_engine_fits_separable_data() -> None:
    s = setting_of([64])
    X, y = separable_data(40)
    p = population(s, 6)
    start = s.empirical_loss(p, X, y)
    res = train_population(s, X, y, p, lr=1e-2, steps=600, device="cpu")
    assert torch.all(res.loss < start)
    assert res.loss.max() < 1e-3  # a wide ReLU net fits separable data under the quadratic hinge
    assert torch.all(s.train_error(res.params, X, y) == 0)
    grad_ref = torch.func.grad(lambda f: s.empirical_loss(s.unflatten(f), X, y).sum())(s.flatten(res.params))
    torch.testing.assert_close(res.grad_norm, grad_ref.norm(dim=-1), rtol=0, atol=1e-12)


def test_float32_population_stays_float32() -> None:
    s = setting_of([8])
    X, y = separable_data(20)
    p = {k: v.float() for k, v in population(s, 4).items()}
    res = train_population(s, X, y, p, lr=1e-2, steps=50, device="cpu")
    assert all(v.dtype == torch.float32 for v in res.params.values()) and res.loss.dtype == torch.float32
    assert torch.all(res.loss < s.empirical_loss(p, X.float(), y.float()))


def test_diverging_member_leaves_the_others_alone() -> None:
    s = setting_of([4], loss="exponential")
    X, y = separable_data(20)
    p = population(s, 4)
    blown = {k: v.clone() for k, v in p.items()}
    blown["layers.1.weight"][2] = -1e6  # exp(-margin) overflows for this member
    res = train_population(s, X, y, blown, lr=1e-2, steps=20, device="cpu")
    ref = train_population(s, X, y, p, lr=1e-2, steps=20, device="cpu")
    assert not torch.isfinite(res.loss[2])
    keep = [0, 1, 3]
    for k in p:
        torch.testing.assert_close(res.params[k][keep], ref.params[k][keep], rtol=0, atol=0)
    assert res.best() != 2


def test_progress_callback_reports_every_member() -> None:
    s = setting_of([4])
    X, y = separable_data(20)
    seen: list[tuple[int, torch.Tensor]] = []
    train_population(s, X, y, population(s, 3), lr=1e-2, steps=10, device="cpu", log_every=4,
                     progress=lambda step, loss: seen.append((step, loss)))
    assert [step for step, _ in seen] == [1, 5, 9, 10]
    assert all(loss.shape == (3,) for _, loss in seen)


def test_bad_arguments_are_refused() -> None:
    s = setting_of([4])
    X, y = separable_data(10)
    p = population(s, 2)
    with pytest.raises(ValueError, match="unknown optimizer"):
        train_population(s, X, y, p, lr=1e-2, steps=1, optimizer="lamb", device="cpu")
    with pytest.raises(ValueError, match="parameter names"):
        train_population(s, X, y, {"w": p["layers.0.weight"]}, lr=1e-2, steps=1, device="cpu")
    with pytest.raises(ValueError, match="leading batch axis"):
        train_population(s, X, y, {k: v[0] for k, v in p.items()}, lr=1e-2, steps=1, device="cpu")
    with pytest.raises(ValueError, match="lr"):
        train_population(s, X, y, p, lr=0.0, steps=1, device="cpu")


def test_custom_target_network_goes_through_the_engine() -> None:
    """A Hydra ``_target_`` network takes the vmap path and must train exactly as the built-in one."""
    custom = Setting.from_config({"network": {"_target_": "arena.landscape.network.MLP", "input_dim": 2, "hidden": [3]},
                                  "loss": "quadratic_hinge"})
    builtin = setting_of([3])
    assert not custom.builtin and custom.param_shapes == builtin.param_shapes
    X, y = separable_data(20)
    p = population(builtin, 4)
    res = train_population(custom, X, y, p, lr=1e-2, steps=40, device="cpu")
    ref = train_population(builtin, X, y, p, lr=1e-2, steps=40, device="cpu")
    assert torch.all(res.loss < custom.empirical_loss(p, X, y))
    for k in p:
        torch.testing.assert_close(res.params[k], ref.params[k], rtol=0, atol=1e-10)
    polished = polish_lbfgs(custom, X, y, res.params, max_iter=5, device="cpu")
    assert torch.all(polished.loss <= res.loss + 1e-15)


# -- L-BFGS -------------------------------------------------------------------------------------
def smooth_setting() -> Setting:
    return setting_of([4], neuron="softplus", loss="logistic", regularizer={"name": "l2", "weight": 1e-2})


def test_lbfgs_reaches_stationary_points_on_a_smooth_problem() -> None:
    s = smooth_setting()
    X, y = separable_data(30)
    p = population(s, 6)
    start = s.empirical_loss(p, X, y)
    res = polish_lbfgs(s, X, y, p, max_iter=500, device="cpu")
    assert res.grad_norm.max() < 1e-8, res.grad_norm
    assert torch.all(res.converged) and torch.all(res.loss < start)
    assert res.params["layers.0.weight"].dtype == F64
    # The reported numbers are those of the returned point.
    torch.testing.assert_close(res.loss, s.empirical_loss(res.params, X, y), rtol=0, atol=1e-14)
    assert torch.all(res.iterations <= res.steps)


def test_lbfgs_respects_max_radius() -> None:
    s = smooth_setting()
    X, y = separable_data(30)
    p = population(s, 6)
    radius = 0.05
    res = polish_lbfgs(s, X, y, p, max_iter=100, max_radius=radius, device="cpu")
    dist = (s.flatten(res.params) - s.flatten(p)).norm(dim=-1)
    assert torch.all(dist <= radius * (1 + 1e-12)), dist
    torch.testing.assert_close(dist, res.distance, rtol=0, atol=1e-15)
    assert torch.all(res.loss < s.empirical_loss(p, X, y))
    # The unconstrained minimisers lie farther away, so the ball stops the members on its surface.
    assert torch.all(dist > 0.99 * radius) and not torch.any(res.converged)


def test_lbfgs_on_nonsmooth_losses_stays_finite() -> None:
    X, y = separable_data(30)
    y[::4] = -y[::4]
    # A linear model under the hinge loss: the minimum sits on a kink with a nonzero (sub)gradient,
    # so the line search fails there and each member stops on its own, well before max_iter.
    linear = setting_of([], loss="hinge")
    p = population(linear, 8)
    res = polish_lbfgs(linear, X, y, p, max_iter=300, device="cpu")
    assert res.steps < 300 and not torch.any(res.converged)
    assert torch.all(torch.isfinite(res.loss)) and torch.all(res.loss < linear.empirical_loss(p, X, y))
    # A ReLU net under the hinge: kinks everywhere; the polish only ever lowers the loss.
    relu = setting_of([5], loss="hinge")
    p = population(relu, 8)
    res = polish_lbfgs(relu, X, y, p, max_iter=60, device="cpu")
    assert torch.all(torch.isfinite(relu.flatten(res.params))) and torch.all(torch.isfinite(res.loss))
    assert torch.all(res.loss <= relu.empirical_loss(p, X, y))


def test_lbfgs_leaves_a_minimum_in_place() -> None:
    s = smooth_setting()
    X, y = separable_data(20)
    first = polish_lbfgs(s, X, y, population(s, 3), max_iter=500, device="cpu")
    again = polish_lbfgs(s, X, y, first.params, max_iter=50, tol_grad=1e-8, device="cpu")
    assert again.steps == 0 and torch.all(again.converged)
    for k in first.params:
        assert torch.equal(again.params[k], first.params[k])


# -- Lightning ----------------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer,momentum", [("adam", 0.0), ("sgd", 0.5)])
def test_fit_population_matches_train_population(optimizer: str, momentum: float) -> None:
    s = setting_of([6])
    X, y = separable_data(30)
    p = population(s, 4)
    eng = train_population(s, X, y, p, lr=1e-2, steps=25, optimizer=optimizer, momentum=momentum, device="cpu")
    lit = fit_population(s, X, y, p, lr=1e-2, steps=25, optimizer=optimizer, momentum=momentum, accelerator="cpu")
    assert lit.steps == 25
    for k in p:
        assert lit.params[k].device.type == "cpu" and not lit.params[k].requires_grad
        torch.testing.assert_close(lit.params[k], eng.params[k], rtol=0, atol=1e-10)
    torch.testing.assert_close(lit.loss, eng.loss, rtol=0, atol=1e-10)
    torch.testing.assert_close(lit.grad_norm, eng.grad_norm, rtol=0, atol=1e-10)


@pytest.mark.filterwarnings("ignore:Be aware that when using `ckpt_path`")  # resuming without the callback is fine
@pytest.mark.filterwarnings("ignore:.*LeafSpec.*deprecated:FutureWarning")  # Lightning vs newer torch
def test_population_module_logs_and_checkpoints(tmp_path) -> None:
    s = setting_of([4])
    X, y = separable_data(20)
    p = population(s, 3)
    res = fit_population(s, X, y, p, lr=1e-2, steps=5, accelerator="cpu", default_root_dir=str(tmp_path),
                         enable_checkpointing=True)
    trainer = res.extra["trainer"]
    assert set(trainer.logged_metrics) >= {"loss/mean", "loss/min", "loss/max"}
    ckpts = list(tmp_path.rglob("*.ckpt"))
    assert len(ckpts) == 1, "a checkpoint was asked for"
    state = torch.load(ckpts[0], map_location="cpu", weights_only=False)
    assert state["hyper_parameters"]["setting"] == s.to_config()
    torch.testing.assert_close(state["state_dict"]["flat"], s.flatten(res.params), rtol=0, atol=0)

    # A plain Trainer.fit(module) resumes from it (optimizer state included) to where one run gets.
    import pytorch_lightning as pl

    module = PopulationModule(s, X, y, p, steps_per_epoch=5)
    pl.Trainer(max_steps=12, accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False,
               enable_checkpointing=False, default_root_dir=str(tmp_path)).fit(module, ckpt_path=str(ckpts[0]))
    straight = train_population(s, X, y, p, lr=1e-2, steps=12, device="cpu")
    resumed = module.population()
    for k in p:
        torch.testing.assert_close(resumed[k], straight.params[k], rtol=0, atol=1e-12)
    assert module().shape == (3,)


# -- GPU ----------------------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_population_on_cuda_matches_cpu() -> None:
    s = setting_of([8], regularizer={"name": "l2", "weight": 1e-3})
    X, y = separable_data(40)
    p = population(s, 16)
    gpu = train_population(s, X, y, p, lr=1e-2, steps=50, device="cuda")
    cpu = train_population(s, X, y, p, lr=1e-2, steps=50, device="cpu")
    assert gpu.loss.device.type == "cuda"
    torch.testing.assert_close(gpu.loss.cpu(), cpu.loss, rtol=0, atol=1e-8)
    polished = polish_lbfgs(smooth_setting(), X, y, population(smooth_setting(), 8), max_iter=300, device="cuda")
    assert polished.grad_norm.max().item() < 1e-8
    lit = fit_population(s, X, y, p, lr=1e-2, steps=50, accelerator="gpu")
    torch.testing.assert_close(lit.loss, cpu.loss, rtol=0, atol=1e-8)
    assert math.isfinite(gpu.seconds)


@pytest.mark.parametrize("network, regularizer", [
    ({"input_dim": 2, "hidden": [3], "multiplicative_exp": True}, {"name": "multiplicative_exp_l2", "weight": 0.1}),
    ({"input_dim": 2, "hidden": [3], "exp_neuron": True, "special_neuron": "relu"}, {"name": "exp_neuron_l2", "weight": 0.1}),
])
def test_engine_loss_is_the_settings_loss_for_special_units(network, regularizer):
    """D3's multiplicative pair and a non-exponential special neuron go through the same objective."""
    from arena.engine.population import PopulationLoss

    setting = Setting.from_config({"network": network, "loss": "quadratic_hinge", "regularizer": regularizer})
    gen = torch.Generator().manual_seed(0)
    params = setting.init_params(5, generator=gen, scale=2.0)
    X = torch.randn(7, 2, generator=gen, dtype=torch.float64)
    y = torch.sign(torch.randn(7, generator=gen, dtype=torch.float64))
    engine = PopulationLoss(setting, X, y)(setting.flatten(params))
    assert torch.allclose(engine, setting.empirical_loss(params, X, y), atol=1e-13)
