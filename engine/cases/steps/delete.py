"""Deleting a package through the Packages API (found by name and version with the owner's token)."""

from __future__ import annotations

from core import packages_api
from core.results import StepRecord
from core.vocabulary import AuthScheme
from engine.cases.checks import body_hint, send_checked
from engine.cases.errors import StepFailed
from engine.cases.registry import step_kind
from engine.cases.state import CaseState
from engine.scenario import Step


def _find_package_id(state: CaseState, name: str, version: str) -> int:
    spec = packages_api.list_packages(state.env.project_id, package_name=name, package_version=version)
    obs = state.driver.send(spec, state.ctx.owner, AuthScheme.HEADER)
    if obs.status != 200:
        raise StepFailed(f"could not look up package {name} {version}: {obs.status} {body_hint(obs)}")
    for item in obs.json():
        if item.get("name") == name and item.get("version") == version:
            return int(item["id"])
    raise StepFailed(f"package {name} {version} is not in the list, so it cannot be deleted")


@step_kind("delete")
def delete(state: CaseState, step: Step, record: StepRecord) -> None:
    assert step.package is not None
    credential, scheme = state.actor(step)
    package_id = _find_package_id(state, state.ops.package_name(state.package(step.package)), step.package.version)
    send_checked(state, step, record, packages_api.delete_package(state.env.project_id, package_id),
                 credential, scheme)
    state.published.get(state.package(step.package), {}).pop(step.package.version, None)
    record.message = f"deleted package {package_id}"
