"""The load plan: what each Locust user may request, built from the formats' own operations (the same request
definitions the conformance steps send), with the credentials the permission table lets through each endpoint.

The plan is plain JSON for the locustfile (which imports nothing from the harness). It holds tokens: it travels in
the Locust master's environment and over Locust's master/worker channel, never on a command line or on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from core import packages_api
from core.credentials import Credential, auth_headers
from core.format_types import FormatOperations, RequestSpec
from core.permissions import expected_for
from core.vocabulary import AuthScheme
from formats import OPERATIONS

LIST_PAGE_SIZE = 100


@dataclass
class Seeded:
    """What seeding put on the target: one package with many versions, many packages with one version each."""

    project_id: int | str
    group_id: int | str | None
    big_package: str
    versions: dict[str, tuple[str, int | None]]  # version → (file name, size; None: unknown) of the big package
    packages: dict[str, tuple[str, str, int | None]] = field(default_factory=dict)  # name → (version, file name, size)


def metadata_request(ops: FormatOperations, project_id: int | str, name: str, page: int = 1,
                     group_id: int | str | None = None) -> RequestSpec:
    """The format's metadata document for a package (the group's, `group_id`, for a format that serves it at the
    group level only: Composer); formats without one (Generic) are read through the Packages API's list filtered
    to the package, a page at a time: the only listing of versions GitLab gives them."""
    spec = ops.group_metadata(group_id, name) if ops.metadata_group_only and group_id is not None else \
        ops.metadata(project_id, name)
    if spec is not None:
        return spec
    return packages_api.list_packages(project_id, package_type=ops.package_type, package_name=ops.package_name(name),
                                      per_page=LIST_PAGE_SIZE, page=page)


def _request(spec: RequestSpec, size: int | None = None) -> dict[str, Any]:
    path = spec.path + ("?" + urlencode(spec.params) if spec.params else "")
    return {"method": spec.method, "path": path, "headers": dict(spec.headers), "status": spec.endpoint.success_status,
            "size": size}


def _permits(spec: RequestSpec, credential: Credential, scheme: AuthScheme) -> bool:
    endpoint = spec.endpoint
    return expected_for(credential.case, endpoint.operation, endpoint.auth, scheme).permitted


def task_requests(format_name: str, seeded: Seeded) -> dict[str, list[RequestSpec | tuple[RequestSpec, int | None]]]:
    """The requests of each load task: the big package's metadata (every page, for a paged listing), one distinct
    package's metadata, one version's file (with the size it must have)."""
    ops = OPERATIONS[format_name]
    first = metadata_request(ops, seeded.project_id, seeded.big_package, group_id=seeded.group_id)
    pages = 1 if first.endpoint is not packages_api.LIST else max(1, -(-len(seeded.versions) // LIST_PAGE_SIZE))
    return {
        "metadata": [metadata_request(ops, seeded.project_id, seeded.big_package, page, seeded.group_id)
                     for page in range(1, pages + 1)],
        "package_metadata": [metadata_request(ops, seeded.project_id, name, group_id=seeded.group_id)
                             for name in seeded.packages],
        # a download the registry builds itself (Composer's archive) is not the pushed file's size: not checked
        "download": [(ops.pull(seeded.project_id, seeded.big_package, version, file_name),
                      None if ops.served_built else size)
                     for version, (file_name, size) in seeded.versions.items()],
    }


def build_plan(format_name: str, seeded: Seeded, weights: dict[str, int], credentials: list[Credential],
               schemes: list[AuthScheme], think_time_s: float) -> dict[str, Any]:
    """The JSON plan: tasks with weights, requests and the indexes of the credentials each permits."""
    slots = [(c, s) for c in credentials for s in schemes]
    plan_credentials = [{"label": f"{c.case.value} · {s.value}", "headers": auth_headers(c, s)} for c, s in slots]
    tasks = []
    for name, requests in task_requests(format_name, seeded).items():
        weight = weights.get(name, 0)
        if weight <= 0 or not requests:
            continue
        specs = [(r, None) if isinstance(r, RequestSpec) else r for r in requests]
        permitted = [i for i, (c, s) in enumerate(slots) if _permits(specs[0][0], c, s)]
        if not permitted:
            raise ValueError(f"no credential of the run may use {specs[0][0].endpoint.name}: give the load a token "
                             "the permission table lets through")
        tasks.append({"name": name, "weight": weight, "endpoint": specs[0][0].endpoint.name,
                      "requests": [_request(spec, size) for spec, size in specs], "credentials": permitted})
    return {"format": format_name, "tasks": tasks, "credentials": plan_credentials, "think_time_s": think_time_s}


def describe(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan without secrets: for the report (which token kinds and schemes each task used)."""
    labels = [c["label"] for c in plan["credentials"]]
    return {t["name"]: {"endpoint": t["endpoint"], "weight": t["weight"], "requests": len(t["requests"]),
                        "example": t["requests"][0]["method"] + " " + t["requests"][0]["path"],
                        "credentials": [labels[i] for i in t["credentials"]]} for t in plan["tasks"]}
