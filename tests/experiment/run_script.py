"""Run a checkpointed simulation, print its records as JSON (for test_checkpoint)."""

import json
import sys
import time

from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skactive.experiment import simulate
from skactive.strategies import RandomSampling, UncertaintySampling


class SlowMargin(UncertaintySampling):
    """Margin sampling that takes a while, so a run can be killed mid-way."""

    def select(self, *args, **kwargs):
        time.sleep(0.4)
        return super().select(*args, **kwargs)


def main(checkpoint):
    X, y = load_digits(return_X_y=True)
    result = simulate(
        LogisticRegression(max_iter=500),
        {"margin": SlowMargin("margin"), "random": RandomSampling()},
        X[:1200],
        y[:1200],
        X_test=X[1200:],
        y_test=y[1200:],
        initial=15,
        n_rounds=4,
        n_instances=7,
        n_repeats=1,
        random_state=3,
        checkpoint=checkpoint,
        progress=False,
    )
    print(json.dumps(result.records))


if __name__ == "__main__":
    main(sys.argv[1])
