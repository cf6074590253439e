"""The project commands of ``skactive``: ``init``, ``query``, ``import``, ``sync``.

Each parses its flags with argparse and imports the heavy parts (torch, the
nets) only when it runs.
"""

from __future__ import annotations

import sys

__all__ = ["add_project_commands"]


def _init(args):
    from ._project import Project

    project = Project.create(
        args.dir,
        args.images,
        args.classes,
        labels=args.labels,
        estimator=args.estimator,
        image_size=args.image_size,
        max_epochs=args.max_epochs,
        seed=args.seed,
        image_url=args.image_url,
        progress=not args.no_progress,
    )
    n_labels = len(project.labels)
    print(
        f"created {project.path}: {len(project.manifest)} images, "
        f"{len(project.classes)} classes, {n_labels} labels"
    )
    print(f"Label Studio labelling interface: {project.path / 'label_config.xml'}")
    return 0


def _query(args):
    from ._loop import query_batch
    from ._project import Project

    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    project = Project(args.dir)
    entry = query_batch(
        project,
        strategy=args.strategy,
        n_instances=args.n_instances,
        cv=args.cv,
        device=args.device,
        progress=not args.no_progress,
        report=not args.no_report,
        warm_start=args.warm_start,
    )
    changes = entry["changes"]
    for kind in ("missing", "added", "changed"):
        if changes[kind]:
            print(f"note: {len(changes[kind])} image(s) {kind} since the last round")
    acc = entry["cv_accuracy"]
    acc = "n/a" if acc is None else f"{acc:.4f}"
    print(
        f"round {entry['round']}: {entry['n_labels']} labels, cv accuracy {acc}, "
        f"strategy {entry['strategy']}, {len(entry['batch'])} images to label"
    )
    for name, path in entry["files"].items():
        print(f"  {name}: {project.path / path}")
    return 0


def _import(args):
    from ._loop import import_labels
    from ._project import Project

    project = Project(args.dir)
    report = import_labels(
        project,
        args.export,
        label_field=args.label_field,
        skip_invalid=args.skip_invalid,
        relabel=args.relabel,
    )
    print(report.text())
    print(f"{len(project.labels)} labels in {project.path / 'labels.csv'}")
    return 0


def _sync(args):
    from ._project import Project
    from .labelstudio import LabelStudio, api_key_from_env, sync

    key = api_key_from_env()
    if key is None:
        if not sys.stdin.isatty():
            raise ValueError(
                "no API key: set LABEL_STUDIO_API_KEY (a personal access token "
                "from Label Studio's Account & Settings)."
            )
        import getpass

        key = getpass.getpass("Label Studio API key: ")
    project = Project(args.dir)
    client = LabelStudio(args.url, key)
    result = sync(
        project,
        client,
        args.project,
        skip_invalid=args.skip_invalid,
        push=not args.no_push,
    )
    print(result["report"].text())
    print(f"pushed {result['pushed']} task(s) to project {args.project}")
    return 0


def add_project_commands(sub, formatter_class):
    """Add ``init``, ``query``, ``import`` and ``sync`` to the subparsers ``sub``."""
    init = sub.add_parser(
        "init",
        help="create a labelling project for a folder of images",
        description="Create a project folder: a manifest of the images (paths "
        "and content hashes), the labels so far, the Label Studio interface.",
        formatter_class=formatter_class,
    )
    init.add_argument("dir", help="the new project folder")
    init.add_argument("--images", required=True, help="the image folder")
    init.add_argument(
        "--classes", required=True, help="the class names, comma-separated"
    )
    init.add_argument(
        "--labels",
        help="labels known already: a CSV of path,label or a Label Studio "
        "export (default: none)",
    )
    init.add_argument(
        "--estimator",
        choices=("cnn", "mixmatch", "labelprop", "pseudolabel"),
        default="cnn",
        help="the net: a small CNN, or a semi-supervised one that also learns "
        "from the unlabelled images",
    )
    init.add_argument("--image-size", type=int, default=32, help="image side")
    init.add_argument(
        "--max-epochs", type=int, default=30, help="training epochs per round"
    )
    init.add_argument("--seed", type=int, default=0, help="random seed")
    init.add_argument(
        "--image-url",
        default="/data/local-files/?d={path}",
        help="how Label Studio tasks refer to an image ({path}: relative to --images)",
    )
    init.add_argument("--no-progress", action="store_true", help="hide the bars")
    init.set_defaults(func=_init, _parser=init)

    query = sub.add_parser(
        "query",
        help="fit the net on the labels so far and write the next batch",
        description="Fit the project's net on its labels, score the unlabelled "
        "images and write the batch: a CSV (path, score, predicted class), "
        "Label Studio tasks with predictions, and an HTML report.",
        formatter_class=formatter_class,
    )
    query.add_argument("dir", help="the project folder")
    query.add_argument(
        "--strategy", default="entropy", help="see 'skactive strategies'"
    )
    query.add_argument(
        "-n", "--n-instances", type=int, default=50, help="images in the batch"
    )
    query.add_argument(
        "--cv",
        type=int,
        default=3,
        help="cross-validation folds of the logged accuracy (0: none)",
    )
    query.add_argument("--device", default="cpu", help="torch device")
    query.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's)"
    )
    query.add_argument(
        "--warm-start",
        action="store_true",
        help="update the previous round's net instead of training a new one "
        "(estimator cnn)",
    )
    query.add_argument("--no-report", action="store_true", help="no HTML report")
    query.add_argument("--no-progress", action="store_true", help="hide the bars")
    query.set_defaults(func=_query, _parser=query)

    imp = sub.add_parser(
        "import",
        help="add the labels of a Label Studio export or a CSV",
        description="Check and add labels: Label Studio JSON, JSON-MIN or CSV "
        "export, or a CSV of path,label. An export with an invalid row is "
        "refused as a whole (nothing written) unless --skip-invalid; importing "
        "it again adds nothing.",
        formatter_class=formatter_class,
    )
    imp.add_argument("dir", help="the project folder")
    imp.add_argument("export", help="the export file")
    imp.add_argument(
        "--label-field",
        default=None,
        help="name of the <Choices> control (default: any)",
    )
    imp.add_argument(
        "--skip-invalid", action="store_true", help="import the valid rows only"
    )
    imp.add_argument(
        "--relabel",
        action="store_true",
        help="a different label replaces the project's (default: a conflict)",
    )
    imp.set_defaults(func=_import, _parser=imp)

    sync = sub.add_parser(
        "sync",
        help="pull finished annotations from Label Studio, push the next batch",
        description="Pull the annotations of a Label Studio project and import "
        "them, then push the latest batch (from 'skactive query') as tasks with "
        "predictions. The API key is read from LABEL_STUDIO_API_KEY or asked "
        "for; it is never written anywhere.",
        formatter_class=formatter_class,
    )
    sync.add_argument("dir", help="the project folder")
    sync.add_argument("--url", required=True, help="Label Studio's address")
    sync.add_argument(
        "--project", required=True, type=int, help="the Label Studio project id"
    )
    sync.add_argument(
        "--skip-invalid", action="store_true", help="import the valid rows only"
    )
    sync.add_argument(
        "--no-push", action="store_true", help="only pull the annotations"
    )
    sync.set_defaults(func=_sync, _parser=sync)
