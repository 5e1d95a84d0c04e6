"""data=file: a user's CSV, NPZ or safetensors file; labels to ±1; one line for anything else."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from arena.data import load_data

X = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, -1.0], [3.0, 2.0]])


def file_node(path, **extra) -> dict:
    return {"name": "mine", "source": "file", "path": str(path), "label": -1, **extra}


def one_line_error(node: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match) as info:
        load_data(node)
    assert "\n" not in str(info.value)


def test_csv_with_header_and_label_column(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,label\n" + "\n".join(f"{a},{b},{c}" for (a, b), c in zip(X, [0, 1, 1, 0])) + "\n")
    data = load_data(file_node(path))
    np.testing.assert_array_equal(data.X, X)
    np.testing.assert_array_equal(data.y, [-1, 1, 1, -1])  # the smaller label -> -1
    one_line_error(file_node(path, label=0), r"^data mine \(d\.csv\): labels must take exactly two values, got 4")
    first = load_data(file_node(path, label=0, positive=[0.0, 1.0]))  # column 0 as labels, classes picked
    np.testing.assert_array_equal(first.y, [1, 1, -1, -1])
    np.testing.assert_array_equal(first.X[:, 1], [0, 1, 1, 0])


def test_npz_and_safetensors_give_the_same_fingerprint(tmp_path):
    y = np.array([-1.0, 1.0, 1.0, -1.0])
    np.savez(tmp_path / "d.npz", X=X, y=y)
    save_file({"X": torch.tensor(X), "y": torch.tensor(y)}, str(tmp_path / "d.safetensors"))
    a, b = load_data(file_node(tmp_path / "d.npz")), load_data(file_node(tmp_path / "d.safetensors"))
    assert a.fingerprint == b.fingerprint
    np.testing.assert_array_equal(b.y, y)


def test_bad_files_get_one_line(tmp_path):
    np.savez(tmp_path / "three.npz", X=X, y=np.array([0, 1, 2, 1]))
    one_line_error(file_node(tmp_path / "three.npz"), r"three\.npz\): labels must take exactly two values, got 3 \(0, 1, 2\)")
    np.savez(tmp_path / "one.npz", X=X, y=np.ones(4))
    one_line_error(file_node(tmp_path / "one.npz"), "exactly two values, got 1")
    np.savez(tmp_path / "noy.npz", X=X)
    one_line_error(file_node(tmp_path / "noy.npz"), r"missing array\(s\) \['y'\]")
    np.savez(tmp_path / "nan.npz", X=np.full((4, 2), np.nan), y=np.array([0, 1, 0, 1]))
    one_line_error(file_node(tmp_path / "nan.npz"), "NaN or infinite")
    np.savez(tmp_path / "shape.npz", X=X, y=np.array([0, 1, 0]))
    one_line_error(file_node(tmp_path / "shape.npz"), r"X must be \[n, d\] and y \[n\]")
    (tmp_path / "bad.csv").write_text("1,2,0\n3,x,1\n")
    one_line_error(file_node(tmp_path / "bad.csv"), "line 2: expected 3 numbers")
    (tmp_path / "d.txt").write_text("1,2,0\n")
    one_line_error(file_node(tmp_path / "d.txt"), "unknown file type '.txt'")
    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 5)
    one_line_error(file_node(tmp_path / "junk.safetensors"), r"junk\.safetensors: unreadable")
    one_line_error(file_node(tmp_path / "missing.csv"), "is not a file")
    one_line_error({"name": "file", "source": "file", "path": None}, "data=file needs data.path=")
