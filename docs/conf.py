"""Sphinx configuration for the skactive documentation.

Build with::

    sphinx-build -W --keep-going -b html docs docs/_build/html

Cross-links to Python, NumPy, scikit-learn, PyTorch and skorch (intersphinx)
need the network; set ``SKACTIVE_DOCS_INTERSPHINX=1`` to enable them. Without
it the build runs offline and such references render as plain text.
"""

import os
import shutil
import sys
from pathlib import Path

# Document the package from this checkout, not from an installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# autosummary writes a page per documented object but never removes the page
# of an object that moved or was renamed; start from an empty folder so such
# stale pages cannot break a local build (a clean checkout has none).
shutil.rmtree(Path(__file__).resolve().parent / "generated", ignore_errors=True)
# ... and the gallery keeps the pages of examples that were renamed or removed
_examples = {
    p.stem for p in (Path(__file__).resolve().parents[1] / "examples").glob("*.py")
}
for _stale in (Path(__file__).resolve().parent / "auto_examples").glob("plot_*"):
    if _stale.name.split(".")[0].removesuffix("_codeobj") not in _examples:
        if _stale.is_dir():
            shutil.rmtree(_stale, ignore_errors=True)
        else:
            _stale.unlink()

import torch

import skactive

# The gallery trains small networks on a CPU that the build may share with
# other jobs; one intra-op thread is faster there and avoids OpenMP spinning.
torch.set_num_threads(int(os.environ.get("SKACTIVE_DOCS_TORCH_THREADS", "1")))

# -- Project information -----------------------------------------------------

project = "skactive"
author = "skactive developers"
copyright = "skactive developers"
release = skactive.__version__
version = ".".join(release.split(".")[:2])

# -- General configuration ---------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "_distributed_section.rst"]
default_role = "py:obj"

# autodoc / autosummary
autosummary_generate = True
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"

# numpydoc
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# intersphinx: only with network access (see the module docstring).
intersphinx_mapping = {}
if os.environ.get("SKACTIVE_DOCS_INTERSPHINX", "0") not in ("", "0"):
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "torch": ("https://docs.pytorch.org/docs/stable", None),
        "skorch": ("https://skorch.readthedocs.io/en/stable", None),
    }

# sphinx-gallery
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "doc_module": ("skactive",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skactive": None},
    "remove_config_comments": True,
    "download_all_examples": False,
}

# -- HTML output -------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skactive {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_show_sourcelink = False


# -- autodoc hooks -------------------------------------------------------------


def _skip_sklearn_metadata_request_setters(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated ``set_{method}_request`` methods.

    scikit-learn attaches them to every estimator subclass whose ``fit``,
    ``score`` ... take extra arguments (metadata routing). They are
    scikit-learn's API, not skactive's, and their docstrings link into
    scikit-learn's glossary, which only resolves with intersphinx online.
    """
    if (
        what == "class"
        and name.startswith("set_")
        and name.endswith("_request")
        and "RequestMethod" in getattr(obj, "__qualname__", "")
    ):
        return True
    # scikit-learn's set_output (TransformerMixin) links into its own docs too
    if what == "class" and name == "set_output":
        module = getattr(obj, "__module__", "") or ""
        if module.startswith("sklearn."):
            return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_sklearn_metadata_request_setters)
