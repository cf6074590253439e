"""Label your own images: a project folder, a query/label/import loop, and
Label Studio.

:class:`Project` is the state on disk (manifest, labels, weights, log);
:func:`query_batch` fits the net and writes the next batch (CSV and Label
Studio tasks with predictions); :func:`import_labels` reads annotations back
(Label Studio JSON / JSON-MIN / CSV exports or a CSV of ``path,label``);
:mod:`skactive.project.labelstudio` talks to a Label Studio server. The
``skactive init / query / import / sync`` commands run these.
"""

import importlib

#: Public name -> the module defining it (imported on first use, so that the
#: command line starts without numpy or torch).
_LAZY = {
    "ExportRow": "_exports",
    "ImportReport": "_exports",
    "read_export": "_exports",
    "import_rows": "_exports",
    "ImageFiles": "_images",
    "list_images": "_images",
    "file_sha256": "_images",
    "import_labels": "_loop",
    "load_pool": "_loop",
    "make_net": "_loop",
    "query_batch": "_loop",
    "tasks_for": "_loop",
    "ESTIMATORS": "_project",
    "Project": "_project",
    "label_config": "_project",
    "write_report": "_report",
}
__all__ = list(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    if name == "labelstudio":
        return importlib.import_module(f"{__name__}.labelstudio")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*__all__, "labelstudio"])
