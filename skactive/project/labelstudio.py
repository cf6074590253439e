"""A small client of Label Studio's REST API, and :func:`sync`.

Only the standard library is used (``urllib``): no extra package is needed to
talk to a Label Studio server. The API key is a personal access token (Label
Studio >= 1.18: exchanged for a short-lived access token at
``/api/token/refresh/``) or a legacy token (sent as ``Token <key>``). It is
read from ``LABEL_STUDIO_API_KEY`` (or asked for by the command) and kept in
memory only: it is never written to the project folder, its logs, or an error
message.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from numbers import Integral, Real

from .._errors import InvalidParameterError
from .._validation import Interval, validate_parameter_constraints, validate_params
from ._project import Project

__all__ = ["LabelStudio", "LabelStudioError", "api_key_from_env", "sync"]

#: The environment variable holding the API key.
API_KEY_ENV = "LABEL_STUDIO_API_KEY"


def api_key_from_env():
    """The API key of ``LABEL_STUDIO_API_KEY``, or ``None`` if unset or empty."""
    return os.environ.get(API_KEY_ENV) or None


class LabelStudioError(InvalidParameterError):
    """Label Studio cannot be reached, refuses the key, or answers an error."""


def _is_personal_access_token(key):
    parts = key.split(".")
    return len(parts) == 3 and key.startswith("eyJ")


class LabelStudio:
    """A Label Studio server, through its REST API.

    Parameters
    ----------
    url : str
        The server's address, such as ``"http://localhost:8080"``.
    api_key : str
        A personal access token or a legacy API token.
    timeout : float, default=60
        Seconds to wait for an answer.

    Examples
    --------
    >>> from skactive.project.labelstudio import LabelStudio
    >>> ls = LabelStudio("http://localhost:8080/", "abc")
    >>> ls.url
    'http://localhost:8080'
    """

    _parameter_constraints = {
        "url": [str],
        "api_key": [str],
        "timeout": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, url, api_key, timeout=60):
        # the key is not passed: a refused value would be shown in the message
        validate_parameter_constraints(
            {k: v for k, v in self._parameter_constraints.items() if k != "api_key"},
            {"url": url, "timeout": timeout},
            "LabelStudio",
        )
        if not url.startswith(("http://", "https://")):
            raise InvalidParameterError(
                f"LabelStudio: url must be an http:// or https:// address, got {url!r}."
            )
        if not isinstance(api_key, str) or not api_key.strip():
            raise InvalidParameterError(
                "LabelStudio: api_key must be a non-empty str (a personal access "
                "token or a legacy API token)."
            )
        self.url = url.rstrip("/")
        self._key = api_key.strip()
        self.timeout = timeout
        self._access = None

    def __repr__(self):  # never shows the key
        return f"LabelStudio({self.url!r})"

    # --------------------------------------------------------------- http
    def _open(self, method, path, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise LabelStudioError(
                f"cannot reach Label Studio at {self.url} ({reason}); is the "
                "server running? Nothing was changed."
            ) from None

    def _authorization(self, refresh=False):
        if not _is_personal_access_token(self._key):
            return f"Token {self._key}"
        if self._access is None or refresh:
            status, raw = self._open(
                "POST", "/api/token/refresh/", {"refresh": self._key}
            )
            if status != 200:
                raise LabelStudioError(
                    f"Label Studio at {self.url} refused the API key (HTTP "
                    f"{status}); create a personal access token in Account & "
                    "Settings."
                )
            self._access = json.loads(raw)["access"]
        return f"Bearer {self._access}"

    def request(self, method, path, body=None, **params):
        """Call the API; the decoded JSON answer.

        Parameters
        ----------
        method : str
            ``"GET"``, ``"POST"`` ...
        path : str
            Such as ``"/api/projects/"``.
        body : object or None, default=None
            Sent as JSON.
        **params : dict
            The query string.

        Returns
        -------
        object
            The answer (``None`` if empty).

        Raises
        ------
        LabelStudioError
            If the server is down, refuses the key or answers an error.
        """
        if params:
            path += "?" + urllib.parse.urlencode(params)
        status, raw = self._open(
            method, path, body, {"Authorization": self._authorization()}
        )
        if status == 401 and _is_personal_access_token(self._key):
            status, raw = self._open(
                method, path, body, {"Authorization": self._authorization(True)}
            )
        if status in (401, 403):
            raise LabelStudioError(
                f"Label Studio at {self.url} refused the API key for {method} "
                f"{path.split('?')[0]} (HTTP {status})."
            )
        if status >= 400:
            text = raw.decode("utf-8", "replace")[:300]
            raise LabelStudioError(
                f"Label Studio at {self.url} answered HTTP {status} to {method} "
                f"{path.split('?')[0]}: {text}"
            )
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise LabelStudioError(
                f"Label Studio at {self.url} answered {method} "
                f"{path.split('?')[0]} with something that is not JSON."
            ) from None

    # ------------------------------------------------------------ the API
    def create_project(self, title, label_config):
        """Create a project; its id.

        Parameters
        ----------
        title : str
            The project's title.
        label_config : str
            The labelling interface's XML (see
            :func:`~skactive.project.label_config`).

        Returns
        -------
        int
            The new project's id.
        """
        answer = self.request(
            "POST", "/api/projects/", {"title": title, "label_config": label_config}
        )
        return int(answer["id"])

    def import_tasks(self, project_id, tasks):
        """Add ``tasks`` (Label Studio's import format) to a project; their ids.

        Parameters
        ----------
        project_id : int
            The project.
        tasks : list of dict
            The tasks (``data``, and optionally ``predictions``).

        Returns
        -------
        list of int
            The new tasks' ids.
        """
        answer = self.request(
            "POST",
            f"/api/projects/{int(project_id)}/import",
            tasks,
            return_task_ids="true",
        )
        return list((answer or {}).get("task_ids", []))

    def tasks(self, project_id, *, page_size=100):
        """Every task of a project (data, annotations, predictions), page by page.

        Parameters
        ----------
        project_id : int
            The project.
        page_size : int, default=100
            Tasks fetched per request.

        Returns
        -------
        list of dict
            The tasks.
        """
        out, page = [], 1
        while True:
            answer = self.request(
                "GET",
                "/api/tasks/",
                project=int(project_id),
                page=page,
                page_size=page_size,
                fields="all",
            )
            batch = answer.get("tasks", []) if isinstance(answer, dict) else answer
            out += batch
            total = answer.get("total", len(out)) if isinstance(answer, dict) else 0
            if not batch or len(out) >= total:
                return out
            page += 1

    def annotate(self, task_id, choice, *, from_name="choice", to_name="image"):
        """Submit a single-choice annotation for a task (a scripted annotator).

        Parameters
        ----------
        task_id : int
            The task.
        choice : str
            The class chosen.
        from_name : str, default="choice"
            The ``<Choices>`` control's name.
        to_name : str, default="image"
            The ``<Image>`` object's name.

        Returns
        -------
        dict
            The annotation created.
        """
        result = [
            {
                "from_name": from_name,
                "to_name": to_name,
                "type": "choices",
                "value": {"choices": [choice]},
            }
        ]
        return self.request(
            "POST", f"/api/tasks/{int(task_id)}/annotations/", {"result": result}
        )

    def export(self, project_id, export_type="JSON"):
        """The project's annotated tasks in Label Studio's ``export_type``.

        Parameters
        ----------
        project_id : int
            The project.
        export_type : str, default="JSON"
            A JSON-valued export type (``"JSON"``, ``"JSON_MIN"``).

        Returns
        -------
        list of dict
            The exported tasks.
        """
        return self.request(
            "GET", f"/api/projects/{int(project_id)}/export", exportType=export_type
        )


@validate_params(
    {
        "project": [Project],
        "client": [LabelStudio],
        "project_id": [Interval(Integral, 1, None, closed="left")],
        "skip_invalid": ["boolean"],
        "push": ["boolean"],
    }
)
def sync(project, client, project_id, *, skip_invalid=False, push=True):
    """Pull finished annotations from Label Studio, then push the next batch.

    1. The project's annotations are exported (JSON) and imported as
       :func:`~skactive.project.import_labels` does: checked row by row,
       refused as a whole if a row is invalid (unless ``skip_invalid``),
       idempotent.
    2. With ``push``, the tasks of the latest round (``skactive query``)
       that Label Studio does not have yet (by ``skactive_path``) and that
       are not labelled are imported into the Label Studio project, and the
       push is logged in ``rounds.json`` (server address and task ids, not
       the key).

    If the server cannot be reached nothing is written.

    Parameters
    ----------
    project : Project
        The skactive project.
    client : LabelStudio
        The server.
    project_id : int
        The Label Studio project's id.
    skip_invalid : bool, default=False
        Import the valid rows only.
    push : bool, default=True
        Push the latest batch.

    Returns
    -------
    dict
        ``{"report": ImportReport, "pushed": int}``.
    """
    from ._exports import _read_json
    from ._loop import _import_rows

    exported = client.export(project_id)
    rows = _read_json(f"Label Studio project {project_id}", json.dumps(exported), None)
    report = _import_rows(
        project,
        rows,
        what=f"Label Studio project {project_id}",
        skip_invalid=skip_invalid,
        source=f"labelstudio:{project_id}",
    )
    pushed = 0
    if push and project.rounds:
        entry = project.rounds[-1]
        tasks_file = project.path / entry["files"]["tasks"]
        tasks = json.loads(tasks_file.read_text("utf-8"))
        present = {
            t.get("data", {}).get("skactive_path") for t in client.tasks(project_id)
        }
        labelled = project.usable_labels()
        todo = [
            t
            for t in tasks
            if t["data"]["skactive_path"] not in present
            and t["data"]["skactive_path"] not in labelled
        ]
        if todo:
            ids = client.import_tasks(project_id, todo)
            pushed = len(todo)
            entry.setdefault("pushed", []).append(
                {"url": client.url, "project": int(project_id), "task_ids": ids}
            )
            project._write_rounds()
    return {"report": report, "pushed": pushed}
