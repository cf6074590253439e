"""Stopping criteria, against hand-computed values (skactive.stopping)."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skactive import ActiveLearner
from skactive._validation import InvalidParameterError, invalid_values
from skactive.experiment import simulate
from skactive.stopping import (
    ClassificationChange,
    ExtrapolatedGain,
    LabelBudget,
    MaxConfidence,
    MetricPlateau,
    OverallUncertainty,
    StabilizingPredictions,
    cohen_kappa,
    estimate_labels_saved,
    plateau_labels,
)
from skactive.strategies import RandomSampling


class FixedProba(ClassifierMixin, BaseEstimator):
    """A 'fitted' classifier returning given probabilities (one row per X row)."""

    def __init__(self, proba):
        self.proba = proba

    def fit(self, X, y):
        return self

    def predict_proba(self, X):
        return np.asarray(self.proba, dtype=float)[: len(X)]

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)

    def __sklearn_is_fitted__(self):
        return True


def _onehot(labels, k=3):
    p = np.full((len(labels), k), 0.1 / (k - 1))
    p[np.arange(len(labels)), labels] = 0.9
    return p


X4 = np.zeros((4, 2))


def test_cohen_kappa_hand_worked():
    # a = [0,1,1,0], b = [0,1,0,0]: p_o = 3/4; p_a = (1/2, 1/2), p_b = (3/4, 1/4)
    # p_e = 1/2*3/4 + 1/2*1/4 = 1/2; kappa = (3/4 - 1/2) / (1/2) = 1/2
    assert cohen_kappa([0, 1, 1, 0], [0, 1, 0, 0]) == pytest.approx(0.5)
    assert cohen_kappa([2, 2], [2, 2]) == 1.0  # certain chance agreement
    assert cohen_kappa([1, 1], [2, 2]) == 0.0
    # against scikit-learn where it is defined
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.RandomState(0)
    a, b = rng.randint(0, 4, 50), rng.randint(0, 4, 50)
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))
    with pytest.raises(InvalidParameterError, match="same length"):
        cohen_kappa([0, 1], [0])


def test_stabilizing_predictions_window_mean():
    rounds = [[0, 1, 1, 0], [0, 1, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0]]
    stop = StabilizingPredictions(threshold=0.99, window=2)
    fired = [stop(FixedProba(_onehot(r)), X4) for r in rounds]
    # kappas: nan, 0.5, 1, 1, 1 -> window means of 2: 0.75, 1 (fires at call 3)
    assert stop.history_[0] != stop.history_[0]  # nan
    assert stop.history_[1:] == pytest.approx([0.5, 1.0, 1.0, 1.0])
    assert fired == [False, False, False, True, True]
    assert stop.stop_round_ == 3
    stop.reset()
    assert stop.n_calls_ == 0 and stop.stop_round_ is None


def test_stabilizing_predictions_lower_threshold_fires_earlier():
    rounds = [[0, 1, 1, 0], [0, 1, 0, 0], [0, 1, 0, 0]]
    stop = StabilizingPredictions(threshold=0.7, window=2)
    fired = [stop(FixedProba(_onehot(r)), X4) for r in rounds]
    assert fired == [False, False, True]  # mean(0.5, 1) = 0.75 >= 0.7


def test_prediction_criteria_need_a_fixed_stop_set():
    stop = StabilizingPredictions()
    stop(FixedProba(_onehot([0, 1, 1, 0])), X4)
    with pytest.raises(InvalidParameterError, match="fixed stop set"):
        stop(FixedProba(_onehot([0, 1, 1])), X4[:3])
    with pytest.raises(InvalidParameterError, match="stop_set"):
        ClassificationChange()(FixedProba(_onehot([0])), None)
    # the criterion's own stop set is used whatever X the caller passes
    own = ClassificationChange(stop_set=X4)
    own(FixedProba(_onehot([0, 1, 1, 0])), X4[:1])
    assert own.history_ != []


def test_classification_change_share():
    stop = ClassificationChange(threshold=0.25)
    out = [
        stop(FixedProba(_onehot(r)), X4)
        for r in ([0, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 0])
    ]
    assert stop.history_[1:] == [0.5, 0.25, 0.0]
    assert out == [False, False, True, True] and stop.stop_round_ == 2


def test_overall_uncertainty_by_hand():
    proba = np.array([[0.5, 0.5], [1.0, 0.0], [0.9, 0.1], [0.8, 0.2]])
    ent = -(proba * np.log(np.clip(proba, 1e-300, 1))).sum(1) / np.log(2)
    # bits: 1, 0, 0.4690, 0.7219 -> mean 0.5477
    stop = OverallUncertainty(threshold=0.55)
    assert stop(FixedProba(proba), X4) is True
    assert stop.history_[0] == pytest.approx(ent.mean()) == pytest.approx(0.5477, 1e-3)
    assert OverallUncertainty(threshold=0.54)(FixedProba(proba), X4) is False
    lc = OverallUncertainty(threshold=0.1, measure="least_confidence")
    assert lc(FixedProba(proba), X4) is False
    assert lc.history_[0] == pytest.approx(np.mean([0.5, 0.0, 0.1, 0.2]))
    m = OverallUncertainty(threshold=0.5, measure="margin")
    m(FixedProba(proba), X4)
    assert m.history_[0] == pytest.approx(np.mean([1.0, 0.0, 0.2, 0.4]))


def test_max_confidence_is_the_least_confident_row():
    proba = np.array([[0.95, 0.05], [0.7, 0.3], [0.99, 0.01], [0.9, 0.1]])
    stop = MaxConfidence(threshold=0.7)
    assert stop(FixedProba(proba), X4) is True and stop.history_ == [0.7]
    assert MaxConfidence(threshold=0.71)(FixedProba(proba), X4) is False


def test_label_budget_and_plateau():
    budget = LabelBudget(25)
    assert [budget(n_labels=n) for n in (10, 20, 30)] == [False, False, True]
    assert budget.stop_labels_ == 30 and budget.stop_round_ == 2
    with pytest.raises(InvalidParameterError, match="n_labels"):
        LabelBudget(5)()
    plateau = MetricPlateau(patience=2, min_delta=0.05)
    metrics = [0.5, 0.6, 0.62, 0.64, 0.7]
    # call 3: best of [0.62, 0.64] - best before (0.6) = 0.04 < 0.05 -> fires
    assert [plateau(metric=m) for m in metrics] == [False] * 3 + [True, True]
    assert plateau.stop_round_ == 3
    with pytest.raises(InvalidParameterError, match="finite metric"):
        MetricPlateau()(metric=None)


@pytest.mark.parametrize(
    "criterion",
    [
        StabilizingPredictions(),
        ClassificationChange(),
        OverallUncertainty(),
        MaxConfidence(),
        LabelBudget(10),
        MetricPlateau(),
        ExtrapolatedGain(10),
    ],
    ids=lambda c: type(c).__name__,
)
def test_declared_parameters_refuse_bad_values(criterion):
    name = type(criterion).__name__
    for param, spec in criterion._parameter_constraints.items():
        for value in invalid_values(spec):
            bad = clone(criterion).set_params(**{param: value})
            with pytest.raises(InvalidParameterError, match=f"{name}: {param} must"):
                bad(FixedProba(_onehot([0, 1, 1, 0])), X4, n_labels=4, metric=0.5)


def test_bad_n_labels_is_refused():
    with pytest.raises(InvalidParameterError, match="n_labels must be"):
        LabelBudget(3)(n_labels=-1)


@pytest.fixture(scope="module")
def digits_split():
    X, y = load_digits(return_X_y=True)
    return X[:600], y[:600], X[1500:], y[1500:]


def test_simulate_records_the_round_each_criterion_fires(digits_split):
    X, y, X_test, y_test = digits_split
    res = simulate(
        LogisticRegression(max_iter=300),
        {"random": RandomSampling()},
        X,
        y,
        X_test=X_test,
        y_test=y_test,
        initial=20,
        n_rounds=4,
        n_instances=10,
        n_repeats=2,
        progress=False,
        batch_metrics=False,
        stop={"budget": LabelBudget(40), "plateau": MetricPlateau(patience=1)},
    )
    rows = [r for r in res.records if r["repeat"] == 0]
    assert [r["stop_budget"] for r in rows] == [False, False, True, True, True]
    np.testing.assert_array_equal(res.stopping("stop_budget")["random"], [40, 40])
    # the plateau column against a loop over the recorded test accuracies
    for repeat in (0, 1):
        acc = [r["accuracy"] for r in res.records if r["repeat"] == repeat]
        expected = None
        for i in range(1, len(acc)):
            if max(acc[i : i + 1]) - max(acc[:i]) < 0.01:
                expected = 20 + 10 * i
                break
        got = res.stopping("stop_plateau")["random"][repeat]
        assert (np.isnan(got) and expected is None) or got == expected
    with pytest.raises(InvalidParameterError, match="no column 'stop'"):
        res.stopping()


def test_simulate_takes_stop_with_checkpoint(digits_split, tmp_path):
    # (resuming in the same round: tests/experiment/test_checkpoint.py)
    X, y, X_test, y_test = digits_split
    kwargs = dict(X_test=X_test, y_test=y_test, n_rounds=2, progress=False)
    res = simulate(
        LogisticRegression(max_iter=200),
        RandomSampling(),
        X,
        y,
        stop=LabelBudget(30),
        checkpoint=tmp_path / "c.json",
        **kwargs,
    )
    assert [r["stop"] for r in res.records] == [False, True, True]
    with pytest.raises(InvalidParameterError, match="stop must be"):
        simulate(
            LogisticRegression(),
            RandomSampling(),
            X,
            y,
            X_test=X_test,
            y_test=y_test,
            stop=3,
            progress=False,
        )


def _consulted(criterion, rounds):
    for r in rounds:
        criterion(FixedProba(_onehot(r)), X4, n_labels=10, metric=0.5)
    return criterion


@pytest.mark.parametrize(
    "make",
    [
        lambda: StabilizingPredictions(threshold=0.99, window=2),
        lambda: ClassificationChange(0.0),
        lambda: OverallUncertainty(0.9),
        lambda: MetricPlateau(patience=2),
    ],
    ids=["kappa", "change", "uncertainty", "plateau"],
)
def test_state_round_trip_continues_like_the_uninterrupted_criterion(make):
    import json

    rounds = [[0, 1, 1, 0], [0, 1, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0]]
    whole = _consulted(make(), rounds)
    state = json.loads(json.dumps(_consulted(make(), rounds[:2]).get_state()))
    resumed = _consulted(make().set_state(state), rounds[2:])
    assert resumed.stop_round_ == whole.stop_round_
    assert resumed.n_calls_ == whole.n_calls_ == 5
    np.testing.assert_array_equal(resumed.history_, whole.history_)  # nan == nan
    assert resumed.get_state() == whole.get_state()


def test_set_state_refuses_what_get_state_never_gives():
    good = _consulted(StabilizingPredictions(), [[0, 1, 1, 0]]).get_state()
    stop = StabilizingPredictions()
    for bad, why in [
        ([], "got list"),
        ({**good, "extra": 1}, "keys"),
        ({**good, "n_calls": 2}, "history must hold n_calls=2"),
        ({**good, "n_calls": -1, "history": []}, "n_calls must be an int >= 0"),
        ({**good, "stop_round": 1}, "stop_round must be None or an int below"),
        ({**good, "stop_labels": 3}, "stop_labels must be None"),
        ({**good, "last": [0.5]}, "last must be None or a list of class"),
        ({**good, "labels": [-1]}, "labels must hold n_calls=1 ints"),
    ]:
        with pytest.raises(InvalidParameterError, match=why):
            stop.set_state(bad)


def test_learner_should_stop(digits_split):
    X, y, _, _ = digits_split
    learner = ActiveLearner(
        LogisticRegression(max_iter=300),
        RandomSampling(random_state=0),
        X_training=X[:10],
        y_training=y[:10],
        X_pool=X[10:],
        stop=StabilizingPredictions(window=1, threshold=0.5, stop_set=X[300:]),
    )
    y_pool, fired = y[10:], []
    for _ in range(4):
        fired.append(learner.should_stop())
        idx, _ = learner.query(n_instances=10)
        learner.label(idx, y_pool[idx])
        y_pool = np.delete(y_pool, idx)
    assert fired[0] is False and learner.stop.n_calls_ == 4
    assert fired == [
        learner.stop.stop_round_ is not None and i >= learner.stop.stop_round_
        for i in range(4)
    ]
    with pytest.raises(InvalidParameterError, match="no stopping criterion"):
        ActiveLearner(LogisticRegression()).should_stop()


def test_plot_marks_the_median_stop():
    import matplotlib

    matplotlib.use("Agg")
    from skactive.experiment import SimulationResult, plot_learning_curves

    rows = [
        {
            "strategy": "random",
            "repeat": k,
            "round": r,
            "n_labels": 10 * (r + 1),
            "accuracy": 0.5 + 0.1 * r,
            "stop": r >= fire,
        }
        for k, fire in enumerate((1, 2, 2))
        for r in range(3)
    ]
    ax = plot_learning_curves(SimulationResult(rows))
    markers = [line for line in ax.get_lines() if line.get_marker() == "v"]
    assert len(markers) == 1
    # median of the firing points 20, 30, 30 -> 30, on the mean curve (0.7)
    assert markers[0].get_xdata()[0] == 30
    assert markers[0].get_ydata()[0] == pytest.approx(0.7)


# ---- estimate_labels_saved: the live loop's estimate
def _plateau(points, **kwargs):
    stop = MetricPlateau(**kwargs)
    for n, m in points:
        stop(n_labels=n, metric=m)
    return stop


def test_estimate_counts_the_labels_after_the_firing_round():
    stop = LabelBudget(50)
    for n in (20, 30, 40, 50, 60):
        stop(n_labels=n)
    est = estimate_labels_saved(stop, 200)
    assert (est["fired"], est["round"], est["n_labels"]) == (True, 3, 50)
    assert est["saved"] == 150 and est["share"] == pytest.approx(0.75)
    assert np.isnan(est["gain"]) and est["n_points"] == 0
    assert est["line"].startswith(
        "LabelBudget fired in round 3 at 50 labels: stopping saves 150 of 200 "
        "labels (75%); no learning curve given"
    )
    assert "\n" not in est["line"]
    # a budget already spent saves nothing
    assert estimate_labels_saved(stop, 40)["saved"] == 0


def test_estimate_before_the_criterion_fires_saves_nothing():
    stop = LabelBudget(500)
    stop(n_labels=20), stop(n_labels=30)
    est = estimate_labels_saved(stop, 200)
    assert not est["fired"] and est["saved"] == 0 and est["n_labels"] == 30
    assert est["line"].startswith(
        "LabelBudget has not fired at 30 labels: no labels saved yet (170 of 200 left)"
    )


def test_the_power_law_fit_recovers_a_curve_that_follows_one():
    from skactive.stopping import _EXPONENTS

    a, b, c = 0.92, 1.7, float(_EXPONENTS[30])
    labels = np.array([10.0, 20, 40, 80, 160])
    curve = (labels, a - b * labels**-c)
    stop = _plateau(zip(labels.astype(int), curve[1], strict=True), patience=1)
    est = estimate_labels_saved(stop, 1000)  # the plateau's own history
    assert est["n_points"] == 5
    assert est["metric"] == pytest.approx(a - b * est["n_labels"] ** -c, abs=1e-9)
    assert est["metric_at_budget"] == pytest.approx(a - b * 1000**-c, abs=1e-9)
    assert est["gain"] == pytest.approx(
        b * (est["n_labels"] ** -c - 1000**-c), abs=1e-9
    )
    # the same curve given explicitly, with a criterion that keeps none
    other = LabelBudget(40)
    for n in labels.astype(int):
        other(n_labels=int(n))
    again = estimate_labels_saved(other, 1000, curve=curve)
    assert again["n_labels"] == 40
    assert again["metric_at_budget"] == pytest.approx(a - b * 1000**-c, abs=1e-9)
    assert "power-law fit" in again["line"] and "an extrapolation" in again["line"]


def test_a_curve_that_does_not_rise_extrapolates_no_gain():
    # a decreasing curve: no power law with b >= 0 beats the mean
    stop = _plateau([(10, 0.8), (20, 0.7), (30, 0.6), (40, 0.5)], patience=1)
    est = estimate_labels_saved(stop, 100)
    assert est["gain"] == 0.0
    assert est["metric"] == pytest.approx(0.65)


def test_too_few_points_say_so():
    stop = _plateau([(10, 0.5), (20, 0.5)], patience=1)
    est = estimate_labels_saved(stop, 100)
    assert est["fired"] and np.isnan(est["gain"])
    assert est["line"].endswith("too few points (2) to extrapolate the curve")


def test_estimate_errors_name_the_parameter():
    consulted = LabelBudget(10)
    consulted(n_labels=20)
    with pytest.raises(InvalidParameterError, match="budget must be"):
        estimate_labels_saved(consulted, 0)
    with pytest.raises(InvalidParameterError, match="stop must be"):
        estimate_labels_saved(lambda *a: True, 10)
    no_labels = MetricPlateau()
    no_labels(metric=0.5)
    with pytest.raises(InvalidParameterError, match="pass n_labels"):
        estimate_labels_saved(no_labels, 100)
    assert estimate_labels_saved(no_labels, 100, n_labels=30)["n_labels"] == 30
    zero = LabelBudget(5)
    zero(n_labels=0)  # a learner that keeps no labeled rows passes 0
    with pytest.raises(InvalidParameterError, match="pass n_labels"):
        estimate_labels_saved(zero, 100)
    with pytest.raises(InvalidParameterError, match="curve must be a pair"):
        estimate_labels_saved(consulted, 100, curve=([1, 2, 3], [0.1, 0.2]))
    with pytest.raises(InvalidParameterError, match="strictly increasing"):
        estimate_labels_saved(consulted, 100, curve=([3, 2, 1], [0.1, 0.2, 0.3]))


def test_learner_estimate_is_the_function_on_its_criterion(digits_split):
    X, y, X_test, y_test = digits_split
    learner = ActiveLearner(
        LogisticRegression(max_iter=300),
        RandomSampling(random_state=0),
        X_training=X[:10],
        y_training=y[:10],
        X_pool=X[10:],
        stop=MetricPlateau(patience=2, min_delta=0.02),
    )
    with pytest.raises(InvalidParameterError, match="not been consulted yet"):
        learner.estimate_labels_saved(200)
    y_pool = y[10:]
    for _ in range(8):
        accuracy = learner.score(X_test, y_test)
        if learner.should_stop(metric=accuracy):
            break
        idx, _ = learner.query(n_instances=10)
        learner.label(idx, y_pool[idx])
        y_pool = np.delete(y_pool, idx)
    est = learner.estimate_labels_saved(300)
    assert est == estimate_labels_saved(learner.stop, 300)
    assert est["n_labels"] == len(learner.y_training)
    assert est["n_points"] == learner.stop.n_calls_
    with pytest.raises(InvalidParameterError, match="no stopping criterion"):
        ActiveLearner(LogisticRegression()).estimate_labels_saved(10)


# ---- plateau_labels: where the learning curve plateaus


def test_plateau_labels_hand_worked_and_by_loop():
    # final 0.80; 0.795 at 20 is within 0.01 but 0.78 at 30 is not: 40
    labels, acc = [10, 20, 30, 40, 50], [0.5, 0.795, 0.78, 0.81, 0.80]
    assert plateau_labels(labels, acc) == 40.0
    assert plateau_labels(labels, acc, tol=0.03) == 20.0
    assert plateau_labels(labels, acc, tol=0.0) == 50.0
    assert plateau_labels([5], [0.3]) == 5.0
    rng = np.random.RandomState(0)
    for _ in range(50):
        n = rng.randint(1, 12)
        x = np.cumsum(rng.randint(1, 30, n)).astype(float)
        v = rng.rand(n).round(2)
        first = next(  # brute force: the first round from which all stay near
            x[r]
            for r in range(n)
            if all(abs(v[s] - v[-1]) <= 0.1 + 1e-12 for s in range(r, n))
        )
        assert plateau_labels(x, v, tol=0.1) == first


@pytest.mark.parametrize(
    "labels, metric",
    [([], []), ([1, 2], [0.5]), ([2, 1], [0.5, 0.6]), ([1, 2], [0.5, np.nan])],
)
def test_plateau_labels_refuses_bad_curves(labels, metric):
    with pytest.raises(InvalidParameterError, match="plateau_labels: labels"):
        plateau_labels(labels, metric)
    with pytest.raises(InvalidParameterError, match="tol"):
        plateau_labels([1, 2], [0.5, 0.6], tol=-1)


# ---- ExtrapolatedGain ------------------------------------------------------


def _reference_gain(labels, values, budget, window, fit, z, min_points):
    """The gain of the newest round by the matrix formulas of least squares."""
    labels, values = np.asarray(labels, float), np.asarray(values, float)
    n = labels[-1]
    if n >= budget:
        return 0.0
    keep = labels >= window * n
    if keep.sum() < max(min_points, 3):
        return np.nan
    x = labels[keep] if fit == "linear" else np.log(labels[keep])
    A = np.column_stack([np.ones(keep.sum()), x])
    coef, *_ = np.linalg.lstsq(A, values[keep], rcond=None)
    resid = values[keep] - A @ coef
    cov = resid @ resid / (keep.sum() - 2) * np.linalg.inv(A.T @ A)
    slope = max(coef[1] + z * np.sqrt(cov[1, 1]), 0.0)
    return slope * ((budget - n) if fit == "linear" else np.log(budget / n))


def test_extrapolated_gain_hand_worked():
    # exactly linear in log(labels): slope 0.1 / log 2, no residual, so the
    # gain from 80 to 160 labels is 0.1 whatever z
    stop = ExtrapolatedGain(160, min_gain=0.11, fit="log", window=0.1, min_points=3)
    fired = [stop(n_labels=n, metric=m) for n, m in [(10, 0.5), (20, 0.6), (40, 0.7)]]
    assert fired == [False, False, False]  # gain 0.2 at 40 labels
    np.testing.assert_allclose(stop.gains_[2], 0.2)
    assert stop(n_labels=80, metric=0.8) and stop.stop_labels_ == 80
    np.testing.assert_allclose(stop.gains_, [np.nan, np.nan, 0.2, 0.1], atol=1e-12)
    # window=0.5 at 70 labels keeps 40..70: slope 0.13 / 500 per label
    stop = ExtrapolatedGain(100, z=0.0, min_points=3)
    for n, m in [(10, 0.5), (20, 0.6), (30, 0.66), (40, 0.68), (50, 0.685)]:
        stop(n_labels=n, metric=m)
    assert not stop(n_labels=60, metric=0.687)
    assert stop(n_labels=70, metric=0.688)
    np.testing.assert_allclose(stop.gains_[-1], 0.13 / 500 * 30)


@pytest.mark.parametrize("fit", ["linear", "log"])
@pytest.mark.parametrize("z", [0.0, 1.5])
def test_extrapolated_gain_against_the_matrix_least_squares(fit, z):
    rng = np.random.RandomState(0)
    labels = np.arange(10, 410, 20)
    values = 0.9 - 0.5 * labels**-0.5 + rng.normal(0, 0.01, labels.size)
    stop = ExtrapolatedGain(500, min_gain=0.0, window=0.4, fit=fit, z=z)
    for n, v in zip(labels, values, strict=True):
        stop(n_labels=int(n), metric=float(v))
    expected = [
        _reference_gain(labels[: i + 1], values[: i + 1], 500, 0.4, fit, z, 5)
        for i in range(labels.size)
    ]
    np.testing.assert_allclose(stop.gains_, expected, rtol=1e-9, atol=1e-12)
    assert np.isnan(stop.gains_[0]) and np.isfinite(stop.gains_[-1])


def test_extrapolated_gain_standard_error_delays_a_noisy_flat_stretch():
    # flat then rising: the slope of the flat stretch is ~0, its noise is not
    rng = np.random.RandomState(1)
    labels = np.arange(20, 620, 20)
    values = np.where(labels < 300, 0.3, 0.3 + 0.0004 * (labels - 300))
    values = values + rng.normal(0, 0.01, labels.size)

    def fired(z):
        stop = ExtrapolatedGain(1000, window=0.5, z=z)
        for n, v in zip(labels, values, strict=True):
            stop(n_labels=int(n), metric=float(v))
        return stop.stop_labels_

    assert fired(0.0) is not None and fired(0.0) < 300
    assert fired(2.0) is None  # no fit is confident the rise is < 1 point


def test_extrapolated_gain_fires_at_the_budget_and_refuses_bad_calls():
    stop = ExtrapolatedGain(30)
    assert [stop(n_labels=n, metric=0.1 * n) for n in (10, 20, 30)] == [
        False,
        False,
        True,
    ]
    assert stop.gains_[-1] == 0.0
    with pytest.raises(InvalidParameterError, match="needs n_labels"):
        ExtrapolatedGain(30)(metric=0.5)
    with pytest.raises(InvalidParameterError, match="finite metric"):
        ExtrapolatedGain(30)(n_labels=10, metric=float("nan"))
    stop = ExtrapolatedGain(30)
    stop(n_labels=10, metric=0.5)
    with pytest.raises(InvalidParameterError, match="n_labels must grow"):
        stop(n_labels=10, metric=0.6)


def test_extrapolated_gain_state_round_trip():
    import json

    curve = [(10, 0.5), (20, 0.6), (30, 0.66), (40, 0.68), (50, 0.685), (60, 0.687)]
    curve += [(70, 0.688), (80, 0.6885)]

    def consult(stop, points):
        for n, m in points:
            stop(n_labels=n, metric=m)
        return stop

    make = lambda: ExtrapolatedGain(100, z=0.0, min_points=3)  # noqa: E731
    whole = consult(make(), curve)
    state = json.loads(json.dumps(consult(make(), curve[:4]).get_state()))
    resumed = consult(make().set_state(state), curve[4:])
    assert resumed.stop_round_ == whole.stop_round_ == 6
    np.testing.assert_array_equal(resumed.gains_, whole.gains_)
    assert resumed.get_state() == whole.get_state()


def test_extrapolated_gain_in_simulate_matches_a_replay(digits_split):
    X, y, X_test, y_test = digits_split
    res = simulate(
        LogisticRegression(max_iter=300),
        {"random": RandomSampling()},
        X,
        y,
        X_test=X_test,
        y_test=y_test,
        initial=20,
        n_rounds=8,
        n_instances=10,
        n_repeats=2,
        progress=False,
        batch_metrics=False,
        stop={"gain": ExtrapolatedGain(200, min_gain=0.05, z=0.0, min_points=3)},
    )
    for repeat in (0, 1):
        rows = [r for r in res.records if r["repeat"] == repeat]
        labels = [r["n_labels"] for r in rows]
        acc = [r["accuracy"] for r in rows]
        expected = np.nan
        for i in range(len(rows)):
            g = _reference_gain(labels[: i + 1], acc[: i + 1], 200, 0.5, "linear", 0, 3)
            if np.isfinite(g) and g <= 0.05:
                expected = labels[i]
                break
        got = res.stopping("stop_gain")["random"][repeat]
        assert (np.isnan(got) and np.isnan(expected)) or got == expected


def test_estimate_labels_saved_reads_the_extrapolated_gain_history():
    stop = ExtrapolatedGain(100, z=0.0, min_points=3)
    curve = [(10, 0.50), (20, 0.60), (30, 0.66), (40, 0.68), (50, 0.685)]
    for n, m in curve + [(60, 0.687), (70, 0.688)]:
        stop(n_labels=n, metric=m)
    est = estimate_labels_saved(stop, 100)
    assert est["fired"] and est["saved"] == 30 and est["n_points"] == 7
