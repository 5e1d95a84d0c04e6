"""A cell of the bad-basin sweep in chunks of restarts counts what it counts in one piece."""
from __future__ import annotations

import pytest

from arena.data.chunks import chunk_size, member_bytes
from arena.data.sweep import data_node, run_cell
from arena.landscape.setting import Setting

NODE = {"restarts": 16, "steps": 50, "lr": 0.02, "polish_iters": 300, "seed": 0}


def test_the_biggest_cell_of_the_full_grid_is_cut_into_chunks():
    # digits (1797 × 64), 64-[256, 256]-1: P = 64·256 + 256 + 256·256 + 256 + 256 + 1
    setting = Setting.from_config({"network": {"input_dim": 64, "hidden": [256, 256], "neuron": "relu"}})
    assert setting.num_params == 82689
    assert member_bytes(setting, 1797) == 8 * (30 * 82689 + 4 * 512 * 1797)  # 49.3 MB
    assert chunk_size(setting, 1797, 200, 2.0) == 43  # 2 GiB // 49.3 MB
    small = Setting.from_config({"network": {"input_dim": 30, "hidden": [8], "neuron": "relu"}})
    assert chunk_size(small, 569, 200, 2.0) == 200  # the default sweep's cells run in one piece
    with pytest.raises(ValueError, match="max_gib must be > 0"):
        chunk_size(small, 569, 200, 0.0)


def test_chunks_count_the_same_bad_basins_as_one_population():
    """breast_cancer, ReLU width 1: half the restarts stick; 16 restarts in chunks of 3 agree with one piece."""
    whole = run_cell(data_node("breast_cancer"), "relu", 1, 1, NODE)
    # 3 restarts' worth of the estimate: the cell then runs in 6 chunks
    per = member_bytes(Setting.from_config({"network": {"input_dim": 30, "hidden": [1], "neuron": "relu"}}), 569)
    parts = run_cell(data_node("breast_cancer"), "relu", 1, 1, {**NODE, "max_gib": 3.5 * per / 2**30})
    assert (whole["census"]["chunk"], parts["census"]["chunk"], parts["census"]["chunks"]) == (16, 3, 6)
    assert "chunks" not in whole["census"]
    assert whole["row"]["bad"] == parts["row"]["bad"] == 12  # of 16
    assert parts["census"]["converged"] == whole["census"]["converged"] == 12
    assert parts["census"]["bad_losses"] == whole["census"]["bad_losses"] == [0.027807934, 0.034663896]
    assert (parts["row"]["verdict"], parts["row"]["proof"]) == (whole["row"]["verdict"], whole["row"]["proof"])
    assert parts["row"]["worst_bad_loss"] == whole["row"]["worst_bad_loss"]
    # The best loss is an unconverged restart's: its L-BFGS path follows the products' rounding, which
    # depends on how many restarts share them, so it differs between the two runs (not the minima).
    for cell in (whole, parts):
        assert cell["row"]["best_loss"] < 0.01 < min(cell["census"]["bad_losses"])
    assert parts["census"]["distinct"] >= whole["census"]["distinct"]  # summed over chunks: an upper bound
