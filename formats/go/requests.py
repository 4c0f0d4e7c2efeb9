"""The requests `go` sends to a GOPROXY (`go help goproxy`): `$GOPROXY/<module>/@v/list`, `<version>.info`, `.mod`
and `.zip`, module path and version case-encoded."""

from core.format_types import RequestSpec

from .names import case_encode, tag_name
from .rules import INFO, LIST, MOD, ZIP


def _params(project_id: int | str, module: str) -> dict[str, object]:
    return {"project_id": project_id, "module_name": case_encode(module)}


def list_versions(project_id: int | str, module: str) -> RequestSpec:
    return RequestSpec(LIST, LIST.url_path(**_params(project_id, module)))


def info(project_id: int | str, module: str, version: str) -> RequestSpec:
    return RequestSpec(INFO, INFO.url_path(**_params(project_id, module),
                                           module_version=case_encode(tag_name(version))))


def mod(project_id: int | str, module: str, version: str) -> RequestSpec:
    return RequestSpec(MOD, MOD.url_path(**_params(project_id, module), module_version=case_encode(tag_name(version))))


def zip_file(project_id: int | str, module: str, version: str) -> RequestSpec:
    return RequestSpec(ZIP, ZIP.url_path(**_params(project_id, module), module_version=case_encode(tag_name(version))))
