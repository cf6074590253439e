"""Picks of every strategy and selector on one small, fixed case.

``python tests/picks_reference.py OUT.json`` writes them; the stored file
``tests/data/strategy_picks.json`` was written by the code *before* the
"one door" refactor (issue 13), and ``tests/test_refactor_picks.py`` checks
that today's code picks exactly the same rows. Everything is seeded and runs
on one CPU thread; the case is small enough to run in a few seconds.

Only public names are used, through their pre-refactor import paths (which
stay as re-exports), so the same script runs before and after.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

N = 5  # picks per call


def _data():
    X, y = load_digits(return_X_y=True)
    flat = (X / 16.0).astype(np.float32)
    images = np.round(X.reshape(-1, 8, 8) * (255 / 16)).astype(np.uint8)
    return flat, images, y


def _noise(x, generator=None):
    return x + 0.1 * torch.randn(x.shape, generator=generator)


def compute(pool=None):
    """``{name: [indices...]}`` for every strategy and selector.

    ``pool(array)`` is what the strategies and selectors get instead of each
    pool array (``None``: the arrays themselves): ``tests/test_lazy_pools.py``
    passes the same rows as ``.npy`` files, views, datasets and dask arrays.
    The labeled rows and the models stay in memory.
    """
    torch.set_num_threads(1)
    P_ = (lambda a: a) if pool is None else pool
    from skactive import ActiveLearner
    from skactive import diversity as div
    from skactive.nets import MLP, DeepClassifier, ISDAClassifier, SmallCNN
    from skactive.representation import InitialSelection
    from skactive.selection import subsample_candidates, top_k
    from skactive.strategies import (
        BADGE,
        BALD,
        CAL,
        EPMCM,
        BatchBALD,
        Consistency,
        ConsistencyEmbedding,
        CoreSet,
        DiverseMiniBatch,
        DiversitySampling,
        ExpectedGradientLength,
        LabelDispersion,
        MaxEntropy,
        MeanSTD,
        PredictionRecorder,
        ProbCover,
        QueryByCommittee,
        RandomSampling,
        TypiClust,
        UncertaintySampling,
        VariationRatios,
        WeibullOutlier,
        batchbald_select,
        consistent_mc_dropout,
    )

    flat, images, y = _data()
    lab, pool = slice(0, 60), slice(60, 360)
    Xl, yl, Xp_array = flat[lab], y[lab], flat[pool]
    Xp, Xp120, Ip = P_(Xp_array), P_(Xp_array[:120]), P_(images[pool])
    out = {}

    def put(name, idx):
        out[name] = np.asarray(idx, dtype=np.int64).tolist()

    logreg = LogisticRegression(max_iter=2000).fit(Xl, yl)
    net = DeepClassifier(MLP, max_epochs=3, random_state=0).fit(Xl, yl)
    cnn = DeepClassifier(SmallCNN, max_epochs=2, random_state=0).fit(images[lab], yl)
    isda = ISDAClassifier(
        MLP, max_epochs=3, random_state=0, module__hidden_units=(32,)
    ).fit(Xl, yl)
    forest = RandomForestClassifier(10, random_state=0).fit(Xl, yl)
    kw = {"X_labeled": Xl}
    kwy = {"X_labeled": Xl, "y_labeled": yl}

    put("random", RandomSampling(random_state=0)(None, Xp, N))
    for measure in ("entropy", "margin", "least_confidence"):
        s = UncertaintySampling(measure, random_state=0)
        put(f"{measure}/logreg", s(logreg, Xp, N))
        put(f"{measure}/net", s(net, Xp, N))
        put(f"{measure}/R", s.set_params(R=50)(net, Xp, N))
    for name, cls in (
        ("bald", BALD),
        ("variation_ratios", VariationRatios),
        ("mean_std", MeanSTD),
        ("max_entropy", MaxEntropy),
    ):
        put(name, cls(n_samples=5, random_state=0)(net, Xp, N))
        put(
            f"{name}/chunked",
            cls(n_samples=5, batch_size=64, random_state=0)(net, Xp, N),
        )
    put("batchbald", BatchBALD(n_samples=5, random_state=0)(net, Xp120, N))
    put(
        "batchbald/inconsistent",
        BatchBALD(n_samples=5, consistent_dropout=False, random_state=0)(net, Xp120, N),
    )
    P = consistent_mc_dropout(net, Xp120, 5, random_state=0)
    put("consistent_mc_dropout/argmax", P.mean(0).argmax(1)[:20])
    put("batchbald_select", batchbald_select(P, N, random_state=0)[0])
    put(
        "batchbald_select/sampled",
        batchbald_select(P, 4, max_configurations=50, random_state=0)[0],
    )
    put("coreset/logreg", CoreSet(random_state=0)(logreg, Xp, N, **kw))
    put("coreset/net", CoreSet(random_state=0)(net, Xp, N, **kw))
    put("diversity/net", DiversitySampling(0.5, random_state=0)(net, Xp, N, **kw))
    put("badge/logreg", BADGE(random_state=0)(logreg, Xp, N))
    put("badge/net", BADGE(random_state=0)(net, Xp, N))
    put("diverse_minibatch", DiverseMiniBatch(beta=5, random_state=0)(net, Xp, N))
    put("typiclust", TypiClust(random_state=0)(net, Xp, N, **kw))
    put("probcover", ProbCover(delta=2.0, random_state=0)(net, Xp, N, **kw))
    put("qbc/vote", QueryByCommittee(random_state=0)(forest, Xp, N))
    put(
        "qbc/consensus",
        QueryByCommittee(measure="consensus_entropy", random_state=0)(forest, Xp, N),
    )
    put(
        "qbc/kl",
        QueryByCommittee(measure="max_disagreement", random_state=0)(forest, Xp, N),
    )
    put("egl/logreg", ExpectedGradientLength(random_state=0)(logreg, Xp, N))
    put("egl/net", ExpectedGradientLength(random_state=0)(net, Xp, N))
    put("cal/net", CAL(random_state=0)(net, Xp, N, **kw))
    put("cal/logreg", CAL(random_state=0)(logreg, Xp, N, **kw))
    put(
        "consistency/noise",
        Consistency(_noise, n_augmentations=3, random_state=0)(net, Xp, N),
    )
    put(
        "consistency/cnn",
        Consistency(n_augmentations=3, random_state=0)(cnn, Ip, N),
    )
    put(
        "consistency_embedding/cnn",
        ConsistencyEmbedding(n_augmentations=3, random_state=0)(
            cnn, Ip, N, X_labeled=images[lab]
        ),
    )
    put("epmcm/isda", EPMCM(random_state=0)(isda, Xp, N))
    put("epmcm/labeled", EPMCM("labeled", random_state=0)(net, Xp, N, **kwy))
    put("epmcm/mc", EPMCM(n_mc_samples=20, random_state=0)(isda, Xp, N))
    put("weibull/net", WeibullOutlier(random_state=0)(net, Xp, N, **kwy))
    put("weibull/logreg", WeibullOutlier(random_state=0)(logreg, Xp, N, **kwy))
    rec = DeepClassifier(
        MLP,
        max_epochs=4,
        random_state=0,
        callbacks=[("recorder", PredictionRecorder(Xp_array))],
    ).fit(Xl, yl)
    put("label_dispersion", LabelDispersion(random_state=0)(rec, Xp_array, N))

    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(Xp_array)
    put(
        "initial_selection",
        InitialSelection(scaler, temperature=0.5, random_state=0)(None, Xp, N),
    )

    # through skactive's learner (labeled rows from X_training)
    learner = ActiveLearner(
        LogisticRegression(max_iter=2000),
        CoreSet(random_state=0),
        X_training=Xl,
        y_training=yl,
        X_pool=Xp,
    )
    put("learner/coreset", learner.query(n_instances=N)[0])

    # selectors on fixed arrays
    rs = np.random.RandomState(0)
    E_array = rs.normal(size=(400, 16)).astype(np.float32)
    E = P_(E_array)
    L = rs.normal(size=(10, 16)).astype(np.float32)
    proba = rs.dirichlet(np.ones(6), size=400)
    put("top_k", top_k(rs.normal(size=400), N, random_state=0))
    put("subsample_candidates", subsample_candidates(400, 30, N, random_state=0))
    put("kcenter_greedy", div.kcenter_greedy(E, 20, labeled=L, random_state=0))
    for T in (0.0, 0.5, 2.0):
        put(
            f"diversity_sampling/T={T}",
            div.diversity_sampling(E, 20, labeled=L, temperature=T, random_state=0),
        )
    put("badge_sampling", div.badge_sampling(proba, E, 20, random_state=0))
    centers, _ = div.weighted_kmeans(E_array, 5, random_state=0)
    put("weighted_kmeans/nearest", div.nearest_to_centers(E, centers))
    put("typiclust_sampling", div.typiclust_sampling(E, 8, labeled=L, random_state=0))
    put(
        "probcover_sampling",
        div.probcover_sampling(E, 8, delta=4.0, labeled=L, random_state=0),
    )
    return out


if __name__ == "__main__":
    picks = compute()
    lines = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(picks.items())]
    with open(sys.argv[1], "w") as fh:
        fh.write("{\n" + ",\n".join(lines) + "\n}\n")
    print(f"wrote {len(picks)} pick lists to {sys.argv[1]}")
