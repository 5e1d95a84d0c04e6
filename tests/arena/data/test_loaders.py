"""Fixed data sets: shapes, labels, standardisation, subsampling and the fingerprint recipe."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
import yaml

from arena.data import fingerprint, load_data, node
from tests.conftest import ROOT

CONF = ROOT / "conf" / "data"


def conf(name: str, **changes) -> dict:
    return {**yaml.safe_load((CONF / f"{name}.yaml").read_text()), **changes}


# name -> (n, d, n_pos, n_neg): scikit-learn's bundled tables, binarised as the configs say
SHAPES = {"breast_cancer": (569, 30, 357, 212), "digits": (1797, 64, 901, 896), "digits_3v8": (357, 64, 183, 174),
          "wine": (178, 13, 59, 119), "iris": (150, 4, 50, 100), "gaussian_mixture": (200, 2, 100, 100),
          "teacher": (200, 4, 100, 100)}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_shipped_data_sets(name):
    data = load_data(conf(name))
    n, d, n_pos, n_neg = SHAPES[name]
    assert (data.n, data.d) == (n, d) and data.X.dtype == np.float64
    assert set(np.unique(data.y)) == {-1.0, 1.0}
    assert (int((data.y > 0).sum()), int((data.y < 0).sum())) == (n_pos, n_neg)
    assert len(data.fingerprint) == 64 and load_data(conf(name)).fingerprint == data.fingerprint


def test_every_config_is_listed():
    assert {p.stem for p in CONF.glob("*.yaml")} == set(SHAPES) | {"synthetic", "file"}


def test_synthetic_is_not_fixed():
    assert node(conf("synthetic")) is None and load_data(conf("synthetic")) is None and load_data(None) is None


def test_standardised_columns_have_mean_zero_and_unit_variance():
    X = load_data(conf("breast_cancer")).X
    np.testing.assert_allclose(X.mean(0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X.std(0), 1.0, atol=1e-12)
    digits = load_data(conf("digits")).X  # constant pixels: 0, the others standardised
    constant = np.all(digits == 0, axis=0)
    assert constant.any() and np.allclose(digits[:, ~constant].std(0), 1.0)


def test_subsample_is_seeded_stratified_and_standardised_after():
    a = load_data(conf("breast_cancer", subsample=60))
    b = load_data(conf("breast_cancer", subsample=60, subsample_seed=1))
    assert a.n == 60 and (int((a.y > 0).sum()), int((a.y < 0).sum())) == (38, 22)  # 357:212 of 569
    assert a.fingerprint == load_data(conf("breast_cancer", subsample=60)).fingerprint != b.fingerprint
    np.testing.assert_allclose(a.X.std(0), 1.0, atol=1e-12)


def test_fingerprint_recipe_and_sensitivity():
    data = load_data(conf("iris"))
    expected = hashlib.sha256(np.asarray([150, 4], "<i8").tobytes() + data.X.astype("<f8").tobytes()
                              + data.y.astype("<f8").tobytes()).hexdigest()
    assert data.fingerprint == expected
    X = data.X.copy()
    X[17, 2] = np.nextafter(X[17, 2], np.inf)  # one value, one ulp
    assert fingerprint(X, data.y) != expected
    y = data.y.copy()
    y[3] = -y[3]
    assert fingerprint(data.X, y) != expected
    assert fingerprint(data.X.reshape(300, 2), data.y) != expected  # same bytes, other shape


def test_class_selection_and_bad_classes():
    pair = load_data(conf("iris", positive=[1], negative=[2]))
    assert pair.n == 100 and pair.summary()["n_pos"] == 50
    with pytest.raises(ValueError, match=r"^data iris: positive lists \[7\]"):
        load_data(conf("iris", positive=[7]))
    with pytest.raises(ValueError, match="is both positive and negative"):
        load_data(conf("iris", positive=[1], negative=[1, 2]))
    with pytest.raises(ValueError, match="unknown keys"):
        load_data(conf("iris", standardise=True))


def test_generators_are_seeded():
    assert load_data(conf("teacher", seed=1)).fingerprint != load_data(conf("teacher")).fingerprint
    assert load_data(conf("gaussian_mixture", seed=3)).fingerprint == load_data(conf("gaussian_mixture", seed=3)).fingerprint
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        load_data(conf("teacher", n=1))
