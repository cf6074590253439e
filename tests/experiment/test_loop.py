"""Tests of the simulation loop, ``skactive.experiment.simulate``."""

from __future__ import annotations

import inspect
import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from skactive._random import seed_from_random_state
from skactive._validation import InvalidParameterError, invalid_values
from skactive.experiment import SimulationResult, simulate
from skactive.strategies import RandomSampling, UncertaintySampling

from ._helpers import N_POOL, FitRaises, labeled_per_round, run, without_timings
from .reference import compute as compute_reference


def first_rows(learner, X_pool, n_instances=1):
    """A modAL-style function strategy: the first rows of the remaining pool."""
    return np.arange(n_instances)


def test_result_rows(split, tmp_path):
    X, y, X_test, y_test = split
    ckpt = tmp_path / "state.json"
    res = run(split, initial=20, n_rounds=3, n_instances=10, checkpoint=ckpt)
    assert isinstance(res, SimulationResult)
    assert len(res) == 4
    assert res.strategies == ["UncertaintySampling"]
    assert [r["round"] for r in res.records] == [0, 1, 2, 3]
    assert [r["n_labels"] for r in res.records] == [20, 30, 40, 50]
    for r in res.records:
        assert r["strategy"] == "UncertaintySampling"
        assert r["repeat"] == 0
        assert 0.0 <= r["accuracy"] <= 1.0
        assert 0.0 <= r["macro_f1"] <= 1.0
        assert r["fit_seconds"] >= 0.0
        assert r["query_seconds"] >= 0.0
    assert res.records[0]["query_seconds"] == 0.0
    assert np.isnan(res.records[0]["class_distance"])
    assert all(0.0 <= r["class_distance"] <= 1.0 for r in res.records[1:])
    assert all(r["diversity"] > 0.0 for r in res.records[1:])
    # the accuracy is that of a model fitted on exactly the rows labeled so far
    labeled = labeled_per_round(ckpt, "UncertaintySampling/0")
    for r, rec in enumerate(res.records):
        rows = np.concatenate(labeled[: r + 1])
        ref = LogisticRegression(max_iter=1000).fit(X[rows], y[rows])
        assert rec["accuracy"] == pytest.approx(ref.score(X_test, y_test), abs=1e-9)


@pytest.mark.parametrize(
    ("initial", "n_rounds", "n_instances"), [(5, 1, 1), (20, 4, 7), (50, 2, 25)]
)
def test_n_labels_sequence(split, initial, n_rounds, n_instances):
    res = run(
        split,
        initial=initial,
        n_rounds=n_rounds,
        n_instances=n_instances,
        batch_metrics=False,
    )
    assert [r["n_labels"] for r in res.records] == [
        initial + r * n_instances for r in range(n_rounds + 1)
    ]


def test_budgets(split):
    res = run(split, initial=10, budgets=[15, 30, 31], batch_metrics=False)
    assert [r["n_labels"] for r in res.records] == [10, 15, 30, 31]


@pytest.mark.parametrize(
    "strategy",
    [
        UncertaintySampling("entropy"),
        UncertaintySampling("margin"),
        RandomSampling(),
    ],
    ids=["entropy", "margin", "random"],
)
def test_indices_are_unique_across_rounds(split, strategy, tmp_path):
    ckpt = tmp_path / "state.json"
    res = run(split, strategy, initial=20, n_rounds=5, n_instances=15, checkpoint=ckpt)
    labeled = labeled_per_round(ckpt, f"{type(strategy).__name__}/0")
    assert [len(idx) for idx in labeled] == [20] + [15] * 5
    initial = labeled[0]
    assert len(np.unique(initial)) == 20
    picked = np.concatenate(labeled[1:])
    assert len(np.unique(picked)) == 75  # never the same row twice
    assert not np.isin(picked, initial).any()  # never a row of the initial set
    everything = np.concatenate(labeled)
    assert everything.min() >= 0 and everything.max() < N_POOL
    assert res.records[-1]["n_labels"] == len(everything)


def test_uncertainty_picks_the_most_uncertain_rows(split, tmp_path):
    X, y, _, _ = split
    ckpt = tmp_path / "state.json"
    run(
        split,
        UncertaintySampling("margin"),
        initial=20,
        n_rounds=1,
        n_instances=5,
        checkpoint=ckpt,
    )
    initial, picked = labeled_per_round(ckpt, "UncertaintySampling/0")
    model = LogisticRegression(max_iter=1000).fit(X[initial], y[initial])
    rest = np.setdiff1d(np.arange(N_POOL), initial)
    proba = np.sort(model.predict_proba(X[rest]), axis=1)
    margins = proba[:, -1] - proba[:, -2]
    expected = rest[np.argsort(margins, kind="stable")[:5]]
    assert set(picked.tolist()) == set(expected.tolist())


def test_function_strategies_are_accepted(split, tmp_path):
    # modAL strategies are plain functions; ActiveLearner takes them, and so
    # must simulate (it checks ``callable``)
    ckpt = tmp_path / "state.json"
    res = run(
        split,
        {"first": first_rows},
        initial=10,
        n_rounds=3,
        n_instances=4,
        checkpoint=ckpt,
    )
    assert [r["n_labels"] for r in res.records] == [10, 14, 18, 22]
    labeled = labeled_per_round(ckpt, "first/0")
    remaining = np.setdiff1d(np.arange(N_POOL), labeled[0])
    for picked in labeled[1:]:
        np.testing.assert_array_equal(picked, remaining[:4])  # positions in X
        remaining = remaining[4:]


def test_several_strategies_share_the_initial_set(split, tmp_path):
    ckpt = tmp_path / "state.json"
    strategies = {"random": RandomSampling(), "entropy": UncertaintySampling()}
    res = run(split, strategies, initial=20, n_rounds=2, n_repeats=2, checkpoint=ckpt)
    assert len(res) == 2 * 2 * 3
    assert res.strategies == ["random", "entropy"]
    for repeat in range(2):
        a = labeled_per_round(ckpt, f"random/{repeat}")
        b = labeled_per_round(ckpt, f"entropy/{repeat}")
        np.testing.assert_array_equal(a[0], b[0])
        rows_a = [r for r in res.records if r["strategy"] == "random"]
        rows_b = [r for r in res.records if r["strategy"] == "entropy"]
        assert rows_a[0]["accuracy"] == rows_b[0]["accuracy"]
    first = labeled_per_round(ckpt, "random/0")[0]
    second = labeled_per_round(ckpt, "random/1")[0]
    assert not np.array_equal(first, second)  # repeats differ


def test_labels_follow_their_rows(split, tmp_path):
    X, y, _, _ = split
    fits = []

    class Recording(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            fits.append((np.array(X, copy=True), np.array(y, copy=True)))
            return super().fit(X, y, sample_weight=sample_weight)

    estimator = Recording(max_iter=1000)
    ckpt = tmp_path / "state.json"
    run(
        split,
        estimator=estimator,
        initial=20,
        n_rounds=2,
        n_instances=10,
        checkpoint=ckpt,
        batch_metrics=False,
    )
    assert not hasattr(estimator, "coef_")  # simulate fits clones
    assert len(fits) == 3
    labeled = np.concatenate(labeled_per_round(ckpt, "UncertaintySampling/0"))
    X_fit, y_fit = fits[-1]
    np.testing.assert_array_equal(X_fit, X[labeled])
    np.testing.assert_array_equal(y_fit, y[labeled])


def test_estimator_and_strategy_arguments_are_left_untouched(split):
    estimator = LogisticRegression(max_iter=1000)
    strategy = UncertaintySampling("margin", random_state=None)
    params = clone(estimator).get_params(), strategy.get_params()
    run(split, strategy, estimator=estimator, n_rounds=1)
    assert not hasattr(estimator, "coef_")
    assert (estimator.get_params(), strategy.get_params()) == params


def test_deterministic_with_a_seed(split):
    a = run(split, RandomSampling(), n_rounds=3, random_state=5)
    b = run(split, RandomSampling(), n_rounds=3, random_state=5)
    c = run(split, RandomSampling(), n_rounds=3, random_state=6)
    assert without_timings(a.records) == without_timings(b.records)
    assert without_timings(a.records) != without_timings(c.records)


def test_seed_controls_the_initial_set(split, tmp_path):
    sets = []
    for seed in (1, 1, 2):
        ckpt = tmp_path / f"state-{len(sets)}.json"
        run(split, n_rounds=1, random_state=seed, checkpoint=ckpt)
        sets.append(labeled_per_round(ckpt, "UncertaintySampling/0")[0])
    np.testing.assert_array_equal(sets[0], sets[1])
    assert not np.array_equal(sets[0], sets[2])


def test_progress_bar_goes_to_stderr(split, capsys):
    run(split, n_rounds=2, progress=True, batch_metrics=False)
    out, err = capsys.readouterr()
    assert out == ""
    assert "simulate" in err
    run(split, n_rounds=2, progress=False, batch_metrics=False)
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_budget_may_use_the_whole_pool(split, tmp_path):
    ckpt = tmp_path / "state.json"
    run(
        split,
        RandomSampling(),
        initial=N_POOL - 20,
        n_rounds=2,
        n_instances=10,
        checkpoint=ckpt,
        batch_metrics=False,
    )
    labeled = np.concatenate(labeled_per_round(ckpt, "RandomSampling/0"))
    np.testing.assert_array_equal(np.sort(labeled), np.arange(N_POOL))


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_rounds": 0}, "n_rounds"),
        ({"n_rounds": -2}, "n_rounds"),
        ({"n_rounds": 1.5}, "n_rounds"),
        ({"n_instances": -1}, "n_instances"),
        ({"n_instances": 0}, "n_instances"),
        ({"initial": 0}, "initial"),
        ({"initial": True}, "initial"),
        ({"n_repeats": 0}, "n_repeats"),
        ({"budgets": [30, 30]}, "budgets"),
        ({"budgets": [10]}, "budgets"),  # not above the initial 20
        ({"budgets": [30], "n_rounds": 2}, "budgets"),
    ],
)
def test_bad_parameters_are_value_errors_naming_them(split, kwargs, name):
    with pytest.raises(ValueError, match=name):
        run(split, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial": N_POOL + 1, "n_rounds": 1, "n_instances": 1},
        {"initial": 20, "n_rounds": 10, "n_instances": 60},
        {"initial": N_POOL - 20, "n_rounds": 3, "n_instances": 10},
        {"initial": 20, "budgets": [100, N_POOL + 1]},
    ],
)
def test_budget_larger_than_the_pool(split, kwargs):
    with pytest.raises(ValueError, match="budget") as info:
        run(split, **kwargs)
    message = str(info.value)
    assert "pool" in message
    assert str(N_POOL) in message


def test_bad_data(split):
    X, y, X_test, y_test = split
    est, strategy = LogisticRegression(), RandomSampling()
    with pytest.raises(ValueError, match="labels"):
        simulate(est, strategy, X, y[:-1], X_test=X_test, y_test=y_test)
    with pytest.raises(ValueError, match="y_test"):
        simulate(est, strategy, X, y, X_test=X_test, y_test=y_test + 100)
    with pytest.raises(TypeError, match="callable"):
        simulate(est, {"bad": "entropy"}, X, y, X_test=X_test, y_test=y_test)


def test_test_classes_must_occur_in_the_pool(digits_split):
    X, y, X_test, y_test = digits_split
    keep = y != 9
    with pytest.raises(ValueError, match=r"y_test has classes \[9\]"):
        simulate(
            LogisticRegression(),
            RandomSampling(),
            X[keep],
            y[keep],
            X_test=X_test,
            y_test=y_test,
            progress=False,
        )


def test_same_results_as_before_the_package():
    # tests/data/simulate_reference.json: written by the code before the
    # experiment package (see tests/experiment/reference.py)
    stored = json.loads(
        (Path(__file__).parents[1] / "data" / "simulate_reference.json").read_text()
    )
    now = compute_reference()
    assert now["labeled"] == stored["labeled"]
    assert now["records"] == stored["records"]


def test_batch_size_is_a_deprecated_alias_of_n_instances(split):
    new = run(split, RandomSampling(), n_rounds=2, n_instances=7)
    with pytest.warns(FutureWarning, match="use n_instances") as caught:
        old = run(split, RandomSampling(), n_rounds=2, batch_size=7)
    assert [r["n_labels"] for r in old.records] == [20, 27, 34]
    assert without_timings(old.records) == without_timings(new.records)
    # the warning points at the caller of simulate (run), not into skactive
    assert caught[0].filename.endswith("_helpers.py")
    with pytest.raises(ValueError, match="n_instances only"):
        run(split, n_rounds=2, n_instances=7, batch_size=7)


def test_every_parameter_is_declared():
    declared = set(simulate.__skactive_constraints__)
    assert declared == set(inspect.signature(simulate).parameters)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (name, value)
        for name, constraints in simulate.__skactive_constraints__.items()
        for value in invalid_values(constraints)
    ],
)
def test_invalid_values_are_refused_before_any_fit(split, name, value):
    X, y, X_test, y_test = split
    kwargs = dict(
        estimator=FitRaises(),
        strategy=RandomSampling(),
        X=X,
        y=y,
        X_test=X_test,
        y_test=y_test,
        progress=False,
    )
    kwargs[name] = value
    with pytest.raises(InvalidParameterError, match=rf"simulate: {name} must be"):
        simulate(**kwargs)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: {**d, "X_test": d["X_test"][:, :32]}, r"X_test has rows of shape"),
        (lambda d: {**d, "y_test": d["y_test"][:-1]}, r"y_test has \d+ labels"),
        (lambda d: {**d, "y": d["y"][:-3]}, r"y has 597 labels but X has 600 rows"),
        (lambda d: {**d, "y": d["y"][:, None]}, r"y must be 1-D"),
        (lambda d: {**d, "X_test": d["X_test"][:0]}, r"X_test is empty"),
        (lambda d: {**d, "strategy": {}}, r"non-empty dict"),
        (lambda d: {**d, "strategy": {3: RandomSampling()}}, r"names of the"),
        (lambda d: {**d, "initial": (RandomSampling(), 0)}, r"n of initial"),
        (lambda d: {**d, "initial": ("random", 5)}, r"must be callable"),
        (lambda d: {**d, "initial": (RandomSampling(),)}, r"a tuple of 1"),
        (lambda d: {**d, "budgets": [25.5, 40]}, r"budgets must be a non-empty"),
        (lambda d: {**d, "budgets": []}, r"budgets must be a non-empty"),
        (lambda d: {**d, "budgets": ["30"]}, r"budgets must be a non-empty"),
    ],
)
def test_bad_data_is_refused_before_any_fit(split, change, message):
    X, y, X_test, y_test = split
    kwargs = change(
        dict(
            estimator=FitRaises(),
            strategy=RandomSampling(),
            X=X,
            y=y,
            X_test=X_test,
            y_test=y_test,
            progress=False,
        )
    )
    with pytest.raises(InvalidParameterError, match=message):
        simulate(**kwargs)


def test_image_shape_of_the_test_set_is_checked(digit_images):
    images, y = digit_images
    with pytest.raises(InvalidParameterError, match=r"X_test.*\(8, 7\).*\(8, 8\)"):
        simulate(
            FitRaises(),
            RandomSampling(),
            images[:300],
            y[:300],
            X_test=images[300:400, :, :7],
            y_test=y[300:400],
            progress=False,
        )


def test_integral_float_budgets_are_label_counts(split):
    res = run(split, initial=10, budgets=np.array([15.0, 30.0]), batch_metrics=False)
    assert [r["n_labels"] for r in res.records] == [10, 15, 30]
    assert all(type(r["n_labels"]) is int for r in res.records)


def test_random_state_may_be_a_random_state(split):
    base = seed_from_random_state(np.random.RandomState(3))
    expected = run(split, RandomSampling(), n_rounds=2, random_state=base)
    rng = np.random.RandomState(3)
    got = run(split, RandomSampling(), n_rounds=2, random_state=rng)
    assert without_timings(got.records) == without_timings(expected.records)
    assert rng.randint(1 << 30) != np.random.RandomState(3).randint(1 << 30)
    # the advanced generator gives another base seed, hence another run
    again = run(split, RandomSampling(), n_rounds=2, random_state=rng)
    assert without_timings(again.records) != without_timings(got.records)


def test_random_state_none_draws_fresh_seeds(split, tmp_path):
    first = tmp_path / "a.json"
    second = tmp_path / "b.json"
    run(split, RandomSampling(), n_rounds=1, random_state=None, checkpoint=first)
    run(split, RandomSampling(), n_rounds=1, random_state=None, checkpoint=second)
    a = labeled_per_round(first, "RandomSampling/0")
    b = labeled_per_round(second, "RandomSampling/0")
    assert not np.array_equal(a[0], b[0])


# ---- out=: the result files
RESULT_FILES = ("results.csv", "results.json", "learning_curves.png")
SMALL = dict(initial=10, n_rounds=2, n_instances=5, batch_metrics=False)


def refuse_constant(name):
    raise AssertionError(f"not strict JSON: {name}")


def test_out_writes_the_result_files(split, tmp_path):
    out = tmp_path / "new" / "results"
    previous = os.umask(0o027)
    try:
        res = run(split, RandomSampling(), out=out, **SMALL)
    finally:
        os.umask(previous)
    assert sorted(p.name for p in out.iterdir()) == sorted(RESULT_FILES)
    for name in RESULT_FILES:
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o640, name
    assert (out / "results.csv").read_text().count("\n") == len(res) + 1
    payload = json.loads(
        (out / "results.json").read_text(), parse_constant=refuse_constant
    )
    assert len(payload["records"]) == len(res)
    assert (out / "learning_curves.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("name", RESULT_FILES)
def test_existing_result_files_are_refused_before_any_fit(split, tmp_path, name):
    (tmp_path / name).write_text("an earlier result")
    with pytest.raises(InvalidParameterError, match="already exists") as info:
        run(split, RandomSampling(), estimator=FitRaises(), out=tmp_path, **SMALL)
    assert str(tmp_path / name) in str(info.value)
    assert "overwrite=True" in str(info.value)
    assert (tmp_path / name).read_text() == "an earlier result"
    run(split, RandomSampling(), out=tmp_path, overwrite=True, **SMALL)
    assert (tmp_path / name).read_bytes() != b"an earlier result"


@pytest.mark.parametrize("overwrite", [False, True])
@pytest.mark.parametrize("name", RESULT_FILES)
def test_a_symlink_in_out_is_never_written_through(split, tmp_path, name, overwrite):
    target = tmp_path / "precious.txt"
    target.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / name).symlink_to(target)
    with pytest.raises(InvalidParameterError, match="symbolic link") as info:
        run(
            split,
            RandomSampling(),
            estimator=FitRaises(),
            out=out,
            overwrite=overwrite,
            **SMALL,
        )
    assert str(out / name) in str(info.value)
    assert target.read_text() == "precious"


def test_out_must_be_a_folder_that_can_be_made(split, tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("")
    for out, message in [
        (a_file, "is a file, not a folder"),
        (a_file / "under", "cannot be created"),
    ]:
        with pytest.raises(InvalidParameterError, match=message) as info:
            run(split, RandomSampling(), estimator=FitRaises(), out=out, **SMALL)
        assert str(out) in str(info.value)
    (tmp_path / "folder" / "results.json").mkdir(parents=True)
    with pytest.raises(InvalidParameterError, match="is a folder where a result"):
        run(split, RandomSampling(), estimator=FitRaises(), out=tmp_path / "folder")


def test_an_unwritable_out_is_refused(split, tmp_path, monkeypatch):
    out = tmp_path / "locked"
    out.mkdir()
    out.chmod(0o500)
    if os.access(out, os.W_OK):  # root writes anywhere: deny it to the check
        from skactive.experiment import _files

        real = _files.os.access
        monkeypatch.setattr(
            _files.os,
            "access",
            lambda path, mode: False if str(path) == str(out) else real(path, mode),
        )
    try:
        with pytest.raises(InvalidParameterError, match="not writable"):
            run(split, RandomSampling(), estimator=FitRaises(), out=out, **SMALL)
        with pytest.raises(InvalidParameterError, match="cannot be created"):
            run(split, RandomSampling(), estimator=FitRaises(), out=out / "sub")
    finally:
        out.chmod(0o700)


def test_a_result_file_that_appears_during_the_run_is_kept(
    split, tmp_path, monkeypatch
):
    original = RandomSampling.select

    def select(self, *args, **kwargs):
        (tmp_path / "results.json").write_text("written meanwhile")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(RandomSampling, "select", select)
    with pytest.raises(InvalidParameterError, match="already exists"):
        run(split, RandomSampling(), out=tmp_path, **SMALL)
    assert (tmp_path / "results.json").read_text() == "written meanwhile"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_fast_metrics_are_scikit_learns_bit_for_bit():
    import warnings

    from sklearn.metrics import accuracy_score, f1_score

    from skactive.experiment._loop import _accuracy_macro_f1

    rng = np.random.RandomState(0)
    for i in range(200):
        n, k = rng.randint(1, 500), rng.randint(1, 8)
        y_true = rng.randint(0, k, n)
        # some predictions outside y_true's labels, some labels never predicted
        y_pred = np.where(rng.rand(n) < rng.rand(), y_true, rng.randint(0, k + 2, n))
        if i % 2:
            y_true = np.array([f"c{v}" for v in y_true])
            y_pred = np.array([f"c{v}" for v in y_pred])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = (
                float(accuracy_score(y_true, y_pred)),
                float(f1_score(y_true, y_pred, average="macro")),
            )
        assert _accuracy_macro_f1(y_true, y_pred) == expected
    # by hand: label 0: tp 1, true 2, pred 1; label 1: tp 1, true 1, pred 2
    acc, f1 = _accuracy_macro_f1(np.array([0, 0, 1]), np.array([0, 1, 1]))
    assert acc == 2 / 3
    assert f1 == pytest.approx(np.mean([2 / 3, 2 / 3]))
