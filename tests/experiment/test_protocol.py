"""The evaluation protocol (skactive.experiment._protocol), against loops."""

import matplotlib
import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import load_digits

from skactive._validation import InvalidParameterError
from skactive.experiment import (
    EvaluationResult,
    SimulationResult,
    aubc,
    evaluate_strategies,
    format_labels_saved,
    labels_saved,
    penalty_matrix,
    plot_penalty_matrix,
)
from skactive.stopping import LabelBudget
from skactive.strategies import RandomSampling, TypiClust, UncertaintySampling

matplotlib.use("Agg")


def _result(curves, x):
    """Rows from ``{strategy: array (n_seeds, n_points)}``."""
    return SimulationResult(
        {
            "strategy": name,
            "repeat": k,
            "round": r,
            "n_labels": int(x[r]),
            "accuracy": float(values[k, r]),
        }
        for name, values in curves.items()
        for k in range(values.shape[0])
        for r in range(values.shape[1])
    )


@pytest.fixture
def synthetic():
    rng = np.random.RandomState(0)
    x = np.array([10, 20, 40, 100])
    base = np.array([0.4, 0.5, 0.6, 0.7])
    curves = {
        "random": base + 0.02 * rng.randn(8, 4),
        "good": base + 0.08 + 0.02 * rng.randn(8, 4),
        "same": base + 0.02 * rng.randn(8, 4),
        "bad": base - 0.1 + 0.02 * rng.randn(8, 4),
    }
    return curves, x


def test_aubc_matches_trapezoids_and_t_interval(synthetic):
    curves, x = synthetic
    out = aubc(_result(curves, x))
    for name, values in curves.items():
        areas = [
            sum((v[i] + v[i + 1]) / 2 * (x[i + 1] - x[i]) for i in range(3)) / 90.0
            for v in values
        ]
        half = stats.t.ppf(0.975, 7) * np.std(areas, ddof=1) / np.sqrt(8)
        assert out[name]["mean"] == pytest.approx(np.mean(areas))
        assert out[name]["low"] == pytest.approx(np.mean(areas) - half)
        assert out[name]["high"] == pytest.approx(np.mean(areas) + half)


def test_penalty_matrix_matches_a_loop_of_paired_t_tests(synthetic):
    curves, x = synthetic
    names, P = penalty_matrix(_result(curves, x))
    assert names == list(curves)
    expected = np.zeros((4, 4))
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if i == j:
                continue
            for point in range(4):
                t, p = stats.ttest_rel(curves[a][:, point], curves[b][:, point])
                if p < 0.05 and t > 0:
                    expected[i, j] += 1 / 4
    np.testing.assert_allclose(P, expected)
    assert P[1, 0] == 1.0 and P[0, 3] == 1.0 and P[:, 1].sum() == 0  # good never loses
    # two experiments add up
    _, P2 = penalty_matrix([_result(curves, x), _result(curves, x)])
    np.testing.assert_allclose(P2, 2 * expected)


def test_penalty_matrix_refuses_one_seed_and_other_budgets():
    one = {"a": np.ones((1, 2)), "b": np.zeros((1, 2))}
    with pytest.raises(InvalidParameterError, match="at least 2 seeds"):
        penalty_matrix(_result(one, [1, 2]))
    rows = _result({"a": np.ones((2, 2))}, [1, 2]).records
    rows += _result({"b": np.ones((2, 2))}, [1, 3]).records
    with pytest.raises(InvalidParameterError, match="other budgets"):
        penalty_matrix(SimulationResult(rows))
    with pytest.raises(InvalidParameterError, match="results must be"):
        penalty_matrix([])


def test_labels_saved_interpolation_and_bootstrap_by_loop(synthetic):
    curves, x = synthetic
    result = _result(curves, x)
    out = labels_saved(result, n_bootstrap=200, random_state=3)
    target = curves["random"][:, -1].mean()

    def needed(mean, t):
        for i, m in enumerate(mean):
            if m >= t - 1e-12:  # the documented tolerance
                if i == 0:
                    return float(x[0])
                m0 = mean[i - 1]
                return x[i - 1] + (t - m0) / (m - m0) * (x[i] - x[i - 1])
        return np.nan

    rng = np.random.RandomState(3)
    boot = rng.randint(0, 8, size=(200, 8))
    for name, values in curves.items():
        n = needed(values.mean(axis=0), target)
        assert out[name]["target"] == pytest.approx(target)
        if np.isnan(n):
            assert np.isnan(out[name]["saved"])
        else:
            assert out[name]["needed"] == pytest.approx(n)
            assert out[name]["saved"] == pytest.approx(100 - n)
        saved = []
        for b in boot:
            s = 100 - needed(values[b].mean(axis=0), curves["random"][b, -1].mean())
            saved.append(s)
        saved = np.array(saved)
        finite = saved[np.isfinite(saved)]
        assert out[name]["reached"] == pytest.approx(finite.size / 200)
        if finite.size:
            assert out[name]["low"] == pytest.approx(np.percentile(finite, 2.5))
            assert out[name]["high"] == pytest.approx(np.percentile(finite, 97.5))
    assert np.isnan(out["bad"]["saved"])
    assert out["good"]["saved"] > 0
    lines = format_labels_saved(out)
    assert len(lines) == 4
    assert lines[1].startswith("good:") and "labels saved of 100" in lines[1]
    assert "does not reach random's final accuracy" in lines[3]
    with pytest.raises(InvalidParameterError, match="no strategy named 'x'"):
        labels_saved(result, baseline="x")


def test_plot_penalty_matrix_writes_a_file(tmp_path, synthetic):
    curves, x = synthetic
    names, P = penalty_matrix(_result(curves, x))
    ax = plot_penalty_matrix(names, P, path=tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 0
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    with pytest.raises(InvalidParameterError, match="shape"):
        plot_penalty_matrix(names, P[:2])


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:900], y[:900], X[1400:], y[1400:]


def test_evaluate_strategies_pairs_seeds_and_records_metadata(digits):
    X, y, X_test, y_test = digits
    res = evaluate_strategies(
        {
            "random": RandomSampling(),
            "margin": UncertaintySampling("margin"),
            "typiclust": TypiClust(),
        },
        X,
        y,
        X_test=X_test,
        y_test=y_test,
        budgets_per_class=[1, 2],
        n_seeds=3,
        random_state=5,
        stop=LabelBudget(20),
    )
    assert isinstance(res, EvaluationResult)
    meta = res.metadata
    assert meta["budgets"] == [10, 20] and meta["n_seeds"] == 3
    assert len(meta["seeds"]) == 3 and len(set(meta["seeds"])) == 3
    assert meta["versions"]["numpy"] == np.__version__
    assert meta["hardware"]["cpu_count"] >= 1
    assert set(meta["seconds"]) == {"embed", "random", "margin", "typiclust"}
    curves = res.curves()
    # margin needs a model: it starts from random's initial set, fitted with the
    # same seed, so round 0 is identical; TypiClust picks its own (cold start)
    np.testing.assert_array_equal(curves["margin"][1][:, 0], curves["random"][1][:, 0])
    assert all(r["stop"] == (r["n_labels"] >= 20) for r in res.records)
    again = evaluate_strategies(
        {"random": RandomSampling()},
        X,
        y,
        X_test=X_test,
        y_test=y_test,
        budgets_per_class=[1, 2],
        n_seeds=3,
        random_state=5,
    )
    np.testing.assert_array_equal(again.curves()["random"][1], curves["random"][1])


def test_evaluate_strategies_in_parallel_gives_the_same_rows(digits):
    X, y, X_test, y_test = digits
    kw = dict(
        X_test=X_test,
        y_test=y_test,
        budgets_per_class=[1, 2, 3],
        n_seeds=2,
        random_state=3,
        stop=LabelBudget(20),
    )
    names = ["random", "margin", "typiclust"]
    one = evaluate_strategies(names, X, y, **kw)
    two = evaluate_strategies(names, X, y, n_jobs=2, **kw)
    assert list(two.metadata["seconds"]) == ["embed", *names]
    keys = ("strategy", "repeat", "round", "n_labels", "accuracy", "stop")
    assert [tuple(r[k] for k in keys) for r in two.records] == [
        tuple(r[k] for k in keys) for r in one.records
    ]
    with pytest.raises(InvalidParameterError, match="n_jobs"):
        evaluate_strategies(names, X, y, n_jobs=0, **kw)


def test_evaluate_strategies_cold_start_uses_the_strategy(digits):
    X, y, X_test, y_test = digits
    kw = dict(X_test=X_test, y_test=y_test, budgets_per_class=[1, 2], n_seeds=2)
    cold = evaluate_strategies({"typiclust": TypiClust()}, X, y, **kw)
    warm = evaluate_strategies({"typiclust": TypiClust()}, X, y, cold_start=False, **kw)
    rand = evaluate_strategies(["random"], X, y, **kw)
    first = {
        n: r.curves()[n][1][:, 0] for n, r in (("typiclust", warm), ("random", rand))
    }
    np.testing.assert_array_equal(first["typiclust"], first["random"])
    assert not np.array_equal(cold.curves()["typiclust"][1][:, 0], first["random"])


@pytest.mark.parametrize(
    "bad", [[1], [2, 1], [0, 1], (1.5, 2), "12"], ids=lambda v: repr(v)
)
def test_evaluate_strategies_refuses_bad_budgets(digits, bad):
    X, y, X_test, y_test = digits
    with pytest.raises(InvalidParameterError, match="budgets_per_class must be"):
        evaluate_strategies(
            ["random"], X, y, X_test=X_test, y_test=y_test, budgets_per_class=bad
        )


def test_evaluation_result_json_holds_the_metadata(tmp_path):
    import json

    res = EvaluationResult(
        _result({"random": np.ones((2, 2))}, [1, 2]).records, metadata={"seed": 4}
    )
    res.to_json(tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text())["metadata"] == {"seed": 4}
    with pytest.raises(InvalidParameterError, match="metadata must be"):
        EvaluationResult([], metadata=3)
