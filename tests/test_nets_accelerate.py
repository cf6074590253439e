"""DeepClassifier under skorch's AccelerateMixin, two real processes.

``tests/accelerate_script.py`` runs under ``torchrun --nproc_per_node 2`` (the
gloo backend on the CPU): the rows of the last, padded, distributed batch must
not be duplicated, and every inference method must give the rows in order.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("accelerate")

SCRIPT = Path(__file__).parent / "accelerate_script.py"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent))
    cmd = [torchrun, "--standalone", "--nproc_per_node", "2", str(SCRIPT)]
    out = tmp_path_factory.mktemp("accelerate") / "out"
    proc = subprocess.run([*cmd, str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [dict(np.load(f"{out}.{rank}.npz")) for rank in (0, 1)]


def test_two_processes_ran(outputs):
    assert [int(o["n_processes"]) for o in outputs] == [2, 2]


@pytest.mark.parametrize("rank", [0, 1])
def test_gathered_predictions_are_every_row_once_in_order(outputs, rank):
    o = outputs[rank]
    assert o["proba"].shape == (101, 10) and o["emb"].shape == (101, 256)
    np.testing.assert_allclose(o["proba"], o["ref_proba"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(o["emb"], o["ref_emb"], rtol=1e-5, atol=1e-6)
    assert o["predict"].shape == (101,)
    np.testing.assert_array_equal(o["predict"], o["ref_proba"].argmax(1))


@pytest.mark.parametrize("rank", [0, 1])
def test_samples_and_augmented_views_are_gathered(outputs, rank):
    o = outputs[rank]
    assert o["samples"].shape == (3, 101, 10)
    assert o["consistent"].shape == (3, 101, 10)
    np.testing.assert_allclose(o["samples"].sum(-1), 1.0, rtol=1e-5)
    aug = o["augmented"]
    assert aug.shape == (3, 101, 10)
    np.testing.assert_allclose(aug[0], o["ref_proba"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(aug[1], o["ref_flip"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(aug[2], o["ref_flip"], rtol=1e-5, atol=1e-6)


def test_processes_agree(outputs):
    for key in ("proba", "emb", "augmented"):
        np.testing.assert_allclose(outputs[0][key], outputs[1][key], rtol=1e-6)
