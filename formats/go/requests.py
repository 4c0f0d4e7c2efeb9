"""The requests `go` sends to a GOPROXY (`go help goproxy`): `$GOPROXY/<module>/@v/list`, `<version>.info`, `.mod`
and `.zip`, module path and version case-encoded."""

from core.format_types import Endpoint, RequestSpec

from .names import case_encode, tag_name
from .rules import INFO, LIST, MOD, ZIP


def _spec(endpoint: Endpoint, **params: object) -> RequestSpec:
    """The request, with `!` (case encoding) left as `go` sends it rather than percent-encoded."""
    return RequestSpec(endpoint, endpoint.url_path(**params).replace("%21", "!"))


def _params(project_id: int | str, module: str) -> dict[str, object]:
    return {"project_id": project_id, "module_name": case_encode(module)}


def list_versions(project_id: int | str, module: str) -> RequestSpec:
    return _spec(LIST, **_params(project_id, module))


def info(project_id: int | str, module: str, version: str) -> RequestSpec:
    return _spec(INFO, **_params(project_id, module), module_version=case_encode(tag_name(version)))


def mod(project_id: int | str, module: str, version: str) -> RequestSpec:
    return _spec(MOD, **_params(project_id, module), module_version=case_encode(tag_name(version)))


def zip_file(project_id: int | str, module: str, version: str) -> RequestSpec:
    return _spec(ZIP, **_params(project_id, module), module_version=case_encode(tag_name(version)))
