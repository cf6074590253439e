"""Checks every public selector passes: declared parameters, names, aliases."""

import inspect
import warnings

import numpy as np
import pytest

import skactive.selection as selection
from skactive._validation import InvalidParameterError, invalid_values

_rng = np.random.RandomState(0)
E = _rng.normal(size=(40, 4))
L = _rng.normal(size=(3, 4))
P = _rng.dirichlet(np.ones(3), size=40)
S = _rng.dirichlet(np.ones(3), size=(4, 40))
SCORES = _rng.normal(size=40)

#: A valid call of every public selector, every argument by keyword.
CALLS = {
    "top_k": dict(scores=SCORES, n_instances=5, random_state=0),
    "shard_top_k": dict(scores=SCORES[:25], n_instances=5, offset=15),
    "merge_top_k": dict(
        shards=[
            selection.shard_top_k(SCORES[:15], 5),
            selection.shard_top_k(SCORES[15:], 5, offset=15),
        ],
        n_instances=5,
        random_state=0,
    ),
    "subsample_candidates": dict(n_pool=40, R=10, n_instances=5, random_state=0),
    "diversity_sampling": dict(
        embeddings=E,
        n_instances=5,
        labeled=L,
        temperature=0.5,
        random_state=0,
        device="cpu",
        chunk_size=7,
        return_distances=False,
    ),
    "kcenter_greedy": dict(
        embeddings=E, n_instances=5, labeled=L, random_state=0, device=None
    ),
    "badge_sampling": dict(
        probas=P, embeddings=E, n_instances=5, random_state=0, chunk_size=7
    ),
    "weighted_kmeans": dict(
        X=E, n_clusters=3, sample_weight=None, random_state=0, max_iter=20
    ),
    "nearest_to_centers": dict(X=E, centers=E[:3] + 0.1),
    "typiclust_sampling": dict(
        embeddings=E, n_instances=5, labeled=L, k_neighbors=5, random_state=0
    ),
    "probcover_sampling": dict(
        embeddings=E, n_instances=5, delta=1.0, labeled=L, random_state=0
    ),
    "greedy_max_cover": dict(candidates=E[:12], pool=E, n_instances=4, random_state=0),
    "herding_sampling": dict(
        X=E, n_instances=5, labeled=L, bandwidth=None, n_candidates=20, random_state=0
    ),
    "median_bandwidth": dict(X=E, n_pairs=50, random_state=0),
    "falcun_sampling": dict(probas=P, n_instances=5, gamma=10.0, random_state=0),
    "stochastic_sampling": dict(
        scores=SCORES, n_instances=5, mode="softmax", beta=1.0, random_state=0
    ),
    "batchbald_select": dict(
        samples=S,
        n_instances=3,
        max_configurations=100,
        n_configurations=None,
        random_state=0,
    ),
}
#: Selectors that pick rows (they take ``n_instances``).
PICKERS = sorted(name for name, kw in CALLS.items() if "n_instances" in kw)
#: ... and those of them that took it as ``n`` before (``n=`` still works).
RENAMED = sorted(
    set(PICKERS)
    - {"subsample_candidates", "shard_top_k", "merge_top_k"}
    # new selectors: ``n_instances`` from the start, no ``n=`` alias
    - {"greedy_max_cover", "herding_sampling", "stochastic_sampling"}
    - {"falcun_sampling"}
)


def _same(a, b):
    if isinstance(a, tuple):
        return all(_same(x, y) for x, y in zip(a, b, strict=True))
    if a is None:
        return b is None
    return np.array_equal(a, b)


def test_every_public_selector_is_covered():
    assert sorted(CALLS) == sorted(selection.__all__)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_valid_call_runs_and_is_seed_deterministic(name):
    func = getattr(selection, name)
    assert _same(func(**CALLS[name]), func(**CALLS[name]))


def _bad_parameter_cases():
    for name in sorted(CALLS):
        constraints = getattr(selection, name).__skactive_constraints__
        for param, spec in constraints.items():
            for value in invalid_values(spec):
                yield pytest.param(name, param, value, id=f"{name}-{param}-{value!r}")


@pytest.mark.parametrize("name, param, value", list(_bad_parameter_cases()))
def test_declared_parameters_reject_bad_values(name, param, value):
    func = getattr(selection, name)
    kwargs = {**CALLS[name], param: value}
    with pytest.raises(InvalidParameterError, match=f"{name}: {param} must be"):
        func(**kwargs)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_parameter_is_declared(name):
    func = getattr(selection, name)
    assert set(func.__skactive_constraints__) == set(inspect.signature(func).parameters)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_one_meaning_per_name(name):
    # the number of rows to pick is n_instances, as in the strategies; no
    # selector has a batch_size (rows per forward pass: selectors make none)
    params = inspect.signature(getattr(selection, name)).parameters
    assert "n" not in params and "batch_size" not in params
    if name in PICKERS:
        assert "n_instances" in params


@pytest.mark.parametrize("name", RENAMED)
def test_deprecated_n_keyword_warns_and_picks_the_same(name):
    func = getattr(selection, name)
    kwargs = dict(CALLS[name])
    want = func(**kwargs)
    kwargs["n"] = kwargs.pop("n_instances")
    with pytest.warns(FutureWarning, match=f"{name}: the keyword n= is deprecated"):
        got = func(**kwargs)
    assert _same(got, want)


@pytest.mark.parametrize("name", PICKERS)
def test_positional_calls_do_not_warn(name):
    func = getattr(selection, name)
    kwargs = dict(CALLS[name])
    # the arguments up to n_instances, by position
    positional = []
    for param in inspect.signature(func).parameters:
        positional.append(kwargs.pop(param))
        if param == "n_instances":
            break
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _same(func(*positional, **kwargs), func(**CALLS[name]))


@pytest.mark.parametrize("name", RENAMED)
def test_old_and_new_keyword_together_are_refused(name):
    func = getattr(selection, name)
    with pytest.raises(InvalidParameterError, match="n_instances"):
        func(**CALLS[name], n=CALLS[name]["n_instances"])


def test_former_import_paths_are_the_same_objects():
    import skactive.diversity as diversity
    import skactive.metrics as metrics
    import skactive.strategies as strategies

    for name in diversity.__all__:
        home = metrics if name == "batch_diversity" else selection
        assert getattr(diversity, name) is getattr(home, name)
    assert set(diversity.__all__) < set(selection.__all__) | {"batch_diversity"}
    # the strategy module still exports a batchbald_select (its own, until it
    # imports this one); both pick the same rows
    got = strategies.batchbald_select(S, 3, random_state=0)
    assert _same(got, selection.batchbald_select(S, 3, random_state=0))
