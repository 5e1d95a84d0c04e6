"""Arithmetic of one training step, to compare the engine's speed with a device's peak.

A network-step of the built-in MLP with widths (d, h_1, ..., h_L, 1) on n samples costs, counting a
multiply-add as 2 FLOPs and only the matrix products (activations, the loss and the optimizer are
O(n·Σh + P), a few per cent for the arena's networks):

* forward: Σ_l 2·n·a_l·b_l over the layers (a_l inputs, b_l outputs; a bias is one more input);
* backward: the weight gradients, Σ_l 2·n·a_l·b_l, plus the gradients with respect to each layer's
  inputs except the data's, Σ_{l>=1} 2·n·(a_l - bias)·b_l.

The peaks are the vendors' dense fp32 (non-tensor-core) numbers for common cards; pass your own
with ``--peak-tflops`` for anything else.
"""
from __future__ import annotations

FP32_PEAK_TFLOPS = {  # name fragment (as in torch.cuda.get_device_name) -> dense fp32 TFLOP/s
    "H200": 66.9, "H100 PCIe": 51.2, "H100": 66.9, "A100": 19.5, "A10": 31.2, "L40S": 91.6, "L40": 90.5,
    "L4": 30.3, "V100": 15.7, "T4": 8.1, "RTX 4090": 82.6, "RTX 3090": 35.6, "A6000": 38.7,
}


def mlp_step_flops(widths: tuple[int, ...], n: int, *, bias: bool = True) -> int:
    """FLOPs of one forward+backward pass of one MLP (widths (d, h_1, ..., 1)) on n samples."""
    if len(widths) < 2 or n < 1 or any(w < 1 for w in widths):
        raise ValueError(f"need widths (d, ..., 1) >= 1 and n >= 1, got {widths}, n={n}")
    extra = 1 if bias else 0
    forward = sum(2 * n * (a + extra) * b for a, b in zip(widths[:-1], widths[1:]))
    inputs_grad = sum(2 * n * a * b for a, b in zip(widths[1:-1], widths[2:]))
    return 2 * forward + inputs_grad


def peak_tflops(device_name: str) -> float | None:
    """The fp32 peak of a device by name (longest matching fragment), or None if unknown."""
    hits = [(len(k), v) for k, v in FP32_PEAK_TFLOPS.items() if k.lower() in device_name.lower()]
    return max(hits)[1] if hits else None
