"""Label your own images: a project folder, a query/label/import loop, and
Label Studio.

:class:`Project` is the state on disk (manifest, labels, weights, log);
:func:`query_batch` fits the net and writes the next batch (CSV and Label
Studio tasks with predictions); :func:`import_labels` reads annotations back
(Label Studio JSON / JSON-MIN / CSV exports or a CSV of ``path,label``);
:mod:`skactive.project.labelstudio` talks to a Label Studio server. The
``skactive init / query / import / sync`` commands run these.
"""

from ._exports import ExportRow, ImportReport, import_rows, read_export
from ._images import ImageFiles, file_sha256, list_images
from ._loop import import_labels, load_pool, make_net, query_batch, tasks_for
from ._project import ESTIMATORS, Project, label_config
from ._report import write_report

__all__ = [
    "Project",
    "ESTIMATORS",
    "label_config",
    "ImageFiles",
    "list_images",
    "file_sha256",
    "ExportRow",
    "ImportReport",
    "read_export",
    "import_rows",
    "import_labels",
    "query_batch",
    "load_pool",
    "make_net",
    "tasks_for",
    "write_report",
]
