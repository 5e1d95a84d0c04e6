"""Mini-batch training of a population equals a plain per-network torch loop on the same batches."""
from __future__ import annotations

import pytest
import torch

from arena.engine.batches import MiniBatches
from arena.engine.lightning import fit_population
from arena.engine.population import PopulationLoss, train_population
from arena.landscape.setting import Setting

F64 = torch.float64


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def data(n: int = 23, d: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=F64)
    return X, torch.sign(X @ torch.tensor([1.0, -0.5, 0.25], dtype=F64) + 0.1)


def reference(setting: Setting, X: torch.Tensor, y: torch.Tensor, start: dict[str, torch.Tensor], k: int, *,
              optimizer: str, lr: float, momentum: float, steps: int, batch_size: int, seed: int) -> torch.Tensor:
    """Member k trained alone by torch.optim on the documented stream: one randperm per epoch, in order."""
    params = {name: t[k].clone().requires_grad_(True) for name, t in start.items()}
    opt = (torch.optim.Adam(params.values(), lr=lr) if optimizer == "adam"
           else torch.optim.SGD(params.values(), lr=lr, momentum=momentum))
    gen = torch.Generator().manual_seed(seed)
    queue: list[torch.Tensor] = []
    for _ in range(steps):
        if not queue:
            queue = list(torch.randperm(X.shape[0], generator=gen).split(batch_size))
        rows = queue.pop(0)
        opt.zero_grad()
        setting.empirical_loss(params, X[rows], y[rows]).backward()
        opt.step()
    return setting.flatten({name: t.detach() for name, t in params.items()})


@pytest.mark.parametrize("hidden, regularizer", [([4], None), ([3, 2], {"name": "l2", "weight": 1e-3})])
@pytest.mark.parametrize("optimizer, momentum", [("sgd", 0.0), ("sgd", 0.9), ("adam", 0.0)])
def test_minibatch_population_equals_per_network_loop(hidden, regularizer, optimizer, momentum):
    X, y = data()
    setting = Setting.from_config({"network": {"input_dim": 3, "hidden": hidden, "neuron": "relu"},
                                   "loss": "quadratic_hinge", "regularizer": regularizer})
    start = setting.init_params(5, generator=torch.Generator().manual_seed(3), scale=2.0)
    lr, steps, batch_size = (0.01 if optimizer == "adam" else 0.05), 40, 7  # 23 = 3 x 7 + 2: a short last batch
    got = train_population(setting, X, y, start, lr=lr, steps=steps, optimizer=optimizer, momentum=momentum,
                           device="cpu", batch_size=batch_size, batch_seed=11)
    assert PopulationLoss(setting, X, y).fused  # the fused kernel did the training
    flat = setting.flatten(got.params)
    moved = 0.0
    for k in range(5):
        want = reference(setting, X, y, start, k, optimizer=optimizer, lr=lr, momentum=momentum, steps=steps,
                         batch_size=batch_size, seed=11)
        assert torch.allclose(flat[k], want, rtol=0, atol=1e-10), (k, float((flat[k] - want).abs().max()))
        moved = max(moved, float((want - setting.flatten(start)[k]).abs().max()))
    assert moved > 1e-2  # the runs went somewhere
    full = train_population(setting, X, y, start, lr=lr, steps=steps, optimizer=optimizer, momentum=momentum,
                            device="cpu")
    assert float((setting.flatten(full.params) - flat).abs().max()) > 1e-6  # and batches changed the path


def test_unfused_path_and_lightning_take_the_same_batches():
    X, y = data()
    setting = Setting.from_config({"network": {"input_dim": 3, "hidden": [3], "neuron": "relu"}})
    start = setting.init_params(4, generator=torch.Generator().manual_seed(5))
    kw = dict(lr=0.05, steps=25, optimizer="sgd", momentum=0.5, batch_size=6, batch_seed=2)
    fused = setting.flatten(train_population(setting, X, y, start, device="cpu", **kw).params)
    plain = setting.flatten(train_population(setting, X, y, start, device="cpu", fused=False, **kw).params)
    lit = setting.flatten(fit_population(setting, X, y, start, accelerator="cpu", **kw).params)
    assert float((fused - plain).abs().max()) < 1e-12 and float((fused - lit).abs().max()) < 1e-12
    assert float((fused - setting.flatten(start)).abs().max()) > 1e-2


def test_batches_cover_each_epoch_once_and_full_batch_is_none():
    stream = MiniBatches(10, 4, seed=1)
    epoch = torch.cat([stream.next() for _ in range(3)])  # 4 + 4 + 2
    assert sorted(epoch.tolist()) == list(range(10))
    assert [b is None for b in (MiniBatches(10, None).next(), MiniBatches(10, 0).next(), MiniBatches(10, 10).next())] \
        == [True, True, True]
    for bad in (-1, True, 2.5):
        with pytest.raises(ValueError, match=r"^batch_size must be a non-negative integer or None"):
            MiniBatches(10, bad)
