"""FLOP count of a network-step and the fp32 peak table used by benchmarks/population.py."""
from __future__ import annotations

import pytest

from arena.engine.flops import mlp_step_flops, peak_tflops


def test_one_hidden_layer_by_hand():
    # 2-16-1 with biases, n = 100: forward 2·100·(3·16 + 17·1) = 13000; backward: weights 13000,
    # inputs of the output layer 2·100·16·1 = 3200
    assert mlp_step_flops((2, 16, 1), 100) == 29_200
    assert mlp_step_flops((2, 16, 1), 100, bias=False) == 2 * 2 * 100 * (2 * 16 + 16) + 3200


def test_deeper_networks_add_input_gradients_for_every_hidden_layer():
    n = 10
    forward = 2 * n * (5 * 8 + 9 * 4 + 5 * 1)
    assert mlp_step_flops((4, 8, 4, 1), n) == 2 * forward + 2 * n * (8 * 4 + 4 * 1)
    with pytest.raises(ValueError):
        mlp_step_flops((4,), 10)


def test_peak_by_device_name_prefers_the_longest_match():
    assert peak_tflops("NVIDIA H100 PCIe") == 51.2
    assert peak_tflops("NVIDIA H100 80GB HBM3") == 66.9
    assert peak_tflops("NVIDIA A100-SXM4-80GB") == 19.5
    assert peak_tflops("Some Future Accelerator") is None
