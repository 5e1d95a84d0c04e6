"""The fused MLP kernel against autograd: every depth, neuron, loss and extra unit, K > 1, float64."""
from __future__ import annotations

import pytest
import torch

from arena.engine.fused import FusedMLP, MLPPlan, Workspace
from arena.engine.objective import PopulationLoss
from arena.landscape.losses import LOSS_NAMES
from arena.landscape.neurons import NEURON_NAMES
from arena.landscape.setting import Setting

F64 = torch.float64
HIDDEN = {1: [5], 2: [6, 3], 3: [4, 7, 2], 4: [3, 5, 4, 6]}  # depth (hidden layers) -> widths


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def make_setting(hidden: list[int], neuron: object = "relu", loss: object = "logistic", regularizer: object = None,
                 **network: object) -> Setting:
    return Setting.from_config({"network": {"input_dim": 3, "hidden": hidden, "neuron": neuron, **network},
                                "loss": loss, "regularizer": regularizer})


def problem(setting: Setting, k: int = 4, n: int = 25, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Flat [k, P] parameters (the setting's init; extra units nonzero, so they matter), X [n, 3], y [n]."""
    g = torch.Generator().manual_seed(seed)
    X = 2 * torch.rand(n, 3, generator=g, dtype=F64) - 1
    y = torch.where(torch.rand(n, generator=g, dtype=F64) < 0.5, -1.0, 1.0).to(F64)
    params = setting.init_params(k, generator=g, dtype=F64)
    for name, value in params.items():
        if not name.startswith("layers."):
            params[name] = 0.3 * torch.randn(value.shape, generator=g, dtype=F64)
    return setting.flatten(params), X, y


def assert_fused_equals_autograd(setting: Setting, k: int = 4) -> None:
    flat, X, y = problem(setting, k)
    objective = PopulationLoss(setting, X, y)
    assert objective.fused, "the built-in MLP must take the fused path"
    loss, grad = objective.value_and_grad(flat)
    leaf = flat.clone().requires_grad_(True)
    ref = setting.empirical_loss(setting.unflatten(leaf), X, y)
    (ref_grad,) = torch.autograd.grad(ref.sum(), leaf)
    assert torch.isfinite(ref_grad).all() and ref_grad.abs().max() > 1e-3  # a gradient worth comparing
    torch.testing.assert_close(loss, ref.detach(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("depth", sorted(HIDDEN))
@pytest.mark.parametrize("neuron", NEURON_NAMES)
def test_every_neuron_at_every_depth(neuron: str, depth: int) -> None:
    assert_fused_equals_autograd(make_setting(HIDDEN[depth], neuron))


@pytest.mark.parametrize("depth", [0, *sorted(HIDDEN)])
@pytest.mark.parametrize("loss", LOSS_NAMES)
def test_every_loss_at_every_depth(loss: str, depth: int) -> None:
    hidden = HIDDEN.get(depth, [])
    assert_fused_equals_autograd(make_setting(hidden, "relu", loss))
    assert_fused_equals_autograd(make_setting(hidden, "softplus", loss, bias=False))


@pytest.mark.parametrize("neuron", [{"name": "leaky_relu", "slope": 0.2}, {"name": "softplus", "beta": 4},
                                    {"name": "relu_power", "power": 3}, {"name": "smooth_relu", "h": 0.5},
                                    {"name": "softplus_linear", "beta": 2, "c": 0.3}])
def test_neurons_with_parameters(neuron: dict) -> None:
    assert_fused_equals_autograd(make_setting(HIDDEN[3], neuron, "quadratic_hinge"))


@pytest.mark.parametrize("depth", sorted(HIDDEN))
@pytest.mark.parametrize("special", ["exponential", "relu", "softplus", "tanh"])
def test_skip_connections_and_the_skip_unit(special: str, depth: int) -> None:
    assert_fused_equals_autograd(make_setting(HIDDEN[depth], "tanh", "squared", skip=True, exp_neuron=True,
                                              special_neuron=special,
                                              regularizer=[{"name": "l2", "weight": 0.01}, "exp_neuron_l2"]))


@pytest.mark.parametrize("depth", [1, 3])
def test_multiplicative_pair(depth: int) -> None:
    """mult.a, mult.b do not enter f; their gradient is the outer factor's alone (the kernel adds zero)."""
    setting = make_setting(HIDDEN[depth], "relu", "quadratic_hinge", multiplicative_exp=True,
                           regularizer={"name": "multiplicative_exp_l2", "weight": 0.1})
    # Garbage left in freed memory must not leak into the gradient of the unused slots.
    torch.full((512, 512), 7.5e5, dtype=F64).sum()
    assert_fused_equals_autograd(setting)


def test_population_of_one_and_many() -> None:
    """Members are independent: the gradient of member i does not depend on who else is in the batch."""
    setting = make_setting(HIDDEN[3], "swish", "smooth_hinge")
    flat, X, y = problem(setting, k=9)
    objective = PopulationLoss(setting, X, y)
    _, together = objective.value_and_grad(flat)
    for i in (0, 4, 8):
        _, alone = PopulationLoss(setting, X, y).value_and_grad(flat[i:i + 1])
        torch.testing.assert_close(alone[0], together[i], rtol=1e-13, atol=1e-13)


def test_relu_output_weights_from_the_homogeneity_identity() -> None:
    """One hidden ReLU layer gets ∂w from Σ_c W_jc M_cj; a unit whose pre-activation vanishes on
    every sample (dead) must get exactly zero, as autograd gives."""
    setting = make_setting([4], "relu", "logistic")
    flat, X, y = problem(setting)
    plan = MLPPlan.from_setting(setting)
    a, b = plan.slices["layers.0.weight"]
    flat[:, a:a + 3] = 0.0  # unit 0: W = 0 ...
    c, _ = plan.slices["layers.0.bias"]
    flat[:, c] = -1.0  # ... and b < 0: dead on every input
    _, grad = PopulationLoss(setting, X, y).value_and_grad(flat)
    w0, _ = plan.slices["layers.1.weight"]
    assert torch.equal(grad[:, w0], torch.zeros(flat.shape[0], dtype=F64))
    assert_fused_equals_autograd(setting)


def test_stale_backward_is_refused_at_depth_three() -> None:
    setting = make_setting(HIDDEN[3], "relu")
    flat, X, y = problem(setting)
    plan, ws = MLPPlan.from_setting(setting), Workspace()
    leaf = flat.clone().requires_grad_(True)
    first = FusedMLP.apply(plan, ws, leaf, X, X.t().contiguous())
    FusedMLP.apply(plan, ws, leaf + 1.0, X, X.t().contiguous())
    with pytest.raises(RuntimeError, match="inplace"):
        first.sum().backward()
