"""The client driver: one operation through a real package-manager client, behind the recording proxy.

The recipe says what to run, the runner says where (a container, or the host); the driver prepares a working
directory (the artifact, the client's configuration with the token), runs the call, and returns what happened:
the exit code, the client's output, every HTTP exchange the proxy saw, and a command that reproduces it.
The working directory holds a token, so it is removed as soon as the call ends; the report keeps a copy of the
configuration files with the token replaced by a placeholder.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from core.client_recipe import ClientCall, ClientOp, ClientRecipe, ClientTarget
from core.credentials import REDACTOR, Credential
from core.format_types import Artifact
from core.results import Exchange
from core.vocabulary import AuthScheme
from engine.clients.proxy import RecordingProxy
from engine.transcript import token_placeholder
from formats import OPERATIONS

OUTPUT_TAIL = 4000  # characters of a client's output kept in the record


class Runner(Protocol):
    """Runs a ClientCall for a recipe in a working directory (engine.containers.run.ContainerRunner or
    HostRunner)."""

    def run(self, recipe: ClientRecipe, call: ClientCall, workdir: Path) -> Any: ...


@dataclass
class ClientObservation:
    client: str
    exit_code: int | None  # None: the client could not be started (see not_run)
    output: str  # the tail of stdout and stderr, redacted
    duration_ms: float
    exchanges: list[Exchange]
    reproduce: str  # the command that reruns the call from a folder holding `files`
    files: dict[str, str]  # the configuration files, token replaced by a placeholder
    output_sha256: str | None = None  # for a pull: the sha256 of the file the client wrote
    output_size: int | None = None
    not_run: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def statuses(self) -> list[int]:
        return [e.status for e in self.exchanges if e.status is not None]


class ClientDriver:
    def __init__(self, recipe: ClientRecipe, runner: Runner, target_url: str, work_root: Path) -> None:
        self.recipe = recipe
        self.name = recipe.name
        self.runner = runner
        self.target_url = target_url
        self.work_root = work_root

    def run(self, op: ClientOp, target: ClientTarget, name: str, version: str,
            artifact: Artifact | None = None, file_name: str = "") -> ClientObservation:
        """Run one operation; `artifact` is put in the working directory for a push."""
        self.work_root.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix=f"{self.name}-{op}-", dir=self.work_root))
        try:
            with RecordingProxy(self.target_url) as proxy:
                client_target = ClientTarget(**{**target.__dict__, "registry_url": proxy.url})
                if artifact is not None:
                    artifact.write_to(workdir)
                    file_name = artifact.file_name
                call = self.recipe.call(op, client_target, name, version, file_name)
                result = self.runner.run(self.recipe, call, workdir)
                exchanges = list(proxy.exchanges)
            observation = ClientObservation(
                client=self.name, exit_code=result.exit_code, output=REDACTOR(result.output or "")[-OUTPUT_TAIL:],
                duration_ms=round(result.duration_s * 1000, 1), exchanges=exchanges,
                reproduce=_placeholder_url(REDACTOR(result.reproduce or ""), proxy.url, self.target_url),
                files={path: _placeholder_url(_placeholder(content, target.credential), proxy.url, self.target_url)
                       for path, content in call.files.items()},
                not_run=getattr(result, "not_run", None) or getattr(result, "reason", None)
                if result.exit_code is None else None)
            if call.output and result.exit_code == 0:
                produced = workdir / call.output
                if produced.is_file():
                    observation.output_size = produced.stat().st_size
                    observation.output_sha256 = _sha256(produced) if call.output_is_artifact else None
                    ops = OPERATIONS.get(self.recipe.format)
                    if call.output_is_artifact and ops is not None and ops.served_built:
                        try:  # a format whose registry builds the file: compared by the format's key of it
                            observation.extra["output_key"] = ops.pulled_key(produced.read_bytes())
                        except Exception as exc:
                            observation.extra["output_key"] = f"unreadable: {exc}"
                    observation.extra["output_is_artifact"] = call.output_is_artifact
                observation.extra["output"] = call.output
            return observation
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


def _placeholder(text: str, credential: Credential) -> str:
    if credential.token:
        text = text.replace(credential.token, token_placeholder(credential))
    return REDACTOR(text)


def _placeholder_url(text: str, proxy_url: str, target_url: str) -> str:
    """The reproduction talks to the target itself, not to the proxy that existed only for the case."""
    return text.replace(proxy_url, target_url.rstrip("/"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def presented_scheme(credential: Credential, scheme: AuthScheme) -> AuthScheme:
    return AuthScheme.NONE if credential.token is None else scheme
