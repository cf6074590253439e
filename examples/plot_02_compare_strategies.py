"""
========================================
Comparing query strategies with simulate
========================================

:func:`skactive.experiment.simulate` runs the whole active learning protocol
on a fully labeled dataset: every strategy starts from the same random initial
labels, queries batches of rows from the pool, sees their hidden labels and
refits, and the test accuracy is recorded after every round. Repeating the
run with different seeds gives paired comparisons between strategies.

Here a logistic regression on the digits compares the
:class:`~skactive.strategies.RandomSampling` baseline with margin and entropy
:class:`~skactive.strategies.UncertaintySampling`,
:class:`~skactive.strategies.CoreSet` and :class:`~skactive.strategies.BADGE`
over 3 repeats of 5 rounds of 10 labels.
"""

# %%
# The data and the model
# ----------------------
# The digits are kept as 8x8 ``uint8`` images; the pipeline flattens them to
# 64 features and standardises them before the logistic regression.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skactive.experiment import plot_learning_curves, simulate
from skactive.strategies import BADGE, CoreSet, RandomSampling, UncertaintySampling

digits = load_digits()
images = (digits.images * (255 / 16)).round().astype(np.uint8)
X_train, X_test, y_train, y_test = train_test_split(
    images, digits.target, test_size=0.25, stratify=digits.target, random_state=0
)


def flatten(X):
    return np.asarray(X, dtype=np.float64).reshape(len(X), -1)


model = make_pipeline(
    FunctionTransformer(flatten),
    StandardScaler(),
    LogisticRegression(max_iter=1000),
)

# %%
# Running the simulation
# ----------------------
# A dict of strategies is compared in one call. ``initial=20`` draws 20 random
# labels per repeat (the same for every strategy), then ``n_rounds`` rounds of
# ``n_instances`` queries follow.

strategies = {
    "random": RandomSampling(),
    "margin": UncertaintySampling("margin"),
    "entropy": UncertaintySampling("entropy"),
    "coreset": CoreSet(),
    "badge": BADGE(),
}
result = simulate(
    model,
    strategies,
    X_train,
    y_train,
    X_test=X_test,
    y_test=y_test,
    initial=20,
    n_rounds=5,
    n_instances=10,
    n_repeats=3,
    random_state=0,
    progress=False,
)
print(result)

# %%
# Learning curves
# ---------------
# Mean test accuracy against the number of labels, with the standard error
# over the repeats.

fig, ax = plt.subplots(figsize=(6, 4))
plot_learning_curves(result, ax=ax)
ax.set_title("LogisticRegression on digits")
fig.tight_layout()
plt.show()

# %%
# Summary table
# -------------
# The area under each learning curve (AUC) with its standard error of the
# mean, and the paired difference to random sampling with a 95% confidence
# interval over the repeats.

print(f"{'strategy':>8}  {'AUC':>15}  {'final':>6}  {'diff to random [95% CI]':>28}")
for row in result.summary(baseline="random", confidence=0.95):
    auc = f"{row['auc_mean']:.4f} ± {row['auc_sem']:.4f}"
    diff = ""
    if "diff_mean" in row:
        diff = (
            f"{row['diff_mean']:+.4f} [{row['diff_low']:+.4f}, {row['diff_high']:+.4f}]"
        )
    print(f"{row['strategy']:>8}  {auc:>15}  {row['final_mean']:6.3f}  {diff:>28}")
