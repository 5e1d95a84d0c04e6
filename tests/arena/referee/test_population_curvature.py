"""The referee's closed-form derivatives of the teacher–student loss agree with autograd's."""
from __future__ import annotations

import numpy as np
import torch
from torch.func import grad, jvp

from arena.landscape.setting import Setting
from arena.landscape.teacher_student import population_hessian
from arena.referee.curvature import batched_gradient, hessian_spectrum, loss_of_flat


def _point(k: int, seed: int = 0) -> tuple[Setting, torch.Tensor]:
    setting = Setting.from_config({"task": "teacher_student", "k": k, "n": k, "d": k})
    W = setting.init_params(generator=torch.Generator().manual_seed(seed))["W"]
    return setting, setting.flatten({"W": W})


def test_batched_gradient_is_autograds():
    setting, v = _point(7)
    pts = v + 0.1 * torch.randn(5, v.numel(), generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    f = loss_of_flat(setting, None, None)
    auto = torch.stack([grad(f)(p) for p in pts])
    closed = batched_gradient(setting, None, None)(pts)
    assert closed.shape == (5, 49)
    assert float((closed - auto).abs().max()) < 1e-12 * float(auto.abs().max())


def test_lanczos_on_closed_form_products_matches_the_dense_hessian():
    """Hessian-vector products by forward mode through the closed-form gradient (finite: the
    self-pairs' cos = 1 never reaches √ or arccos) give the dense Hessian's extreme eigenvalues."""
    setting, v = _point(8, seed=2)
    H = population_hessian(setting.unflatten(v)["W"].unsqueeze(0), setting.teacher())[0]
    u = torch.randn(v.numel(), generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    f = loss_of_flat(setting, None, None)
    assert torch.allclose(jvp(grad(f), (v,), (u,))[1], H @ u, rtol=0, atol=1e-11)
    spec = hessian_spectrum(setting, None, None, v, exact_max_params=10)
    dense = np.linalg.eigvalsh(H.numpy())
    assert spec.method == "lanczos"
    assert abs(spec.min_eig - dense[0]) < 1e-8 and abs(spec.max_eig - dense[-1]) < 1e-8
