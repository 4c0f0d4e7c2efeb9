"""The client recipe interface: what a real package-manager client runs to push, pull or read metadata.

A recipe turns one operation into a `ClientCall`: a command line, the configuration files the client reads
(written into the call's working directory, the only place a token is ever written), and environment variables.
The same call runs in a container or on the host; the runner decides where. Paths in a call are relative to
the working directory, which is also the client's HOME, so nothing leaks from one case to the next.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Literal

from core.credentials import Credential
from core.vocabulary import AuthScheme, TokenKind

ClientOp = Literal["push", "pull", "metadata"]


@dataclass(frozen=True)
class ClientTarget:
    """Where and as whom a client talks."""

    registry_url: str  # scheme://host:port, no trailing slash (the recording proxy in front of the target)
    project_id: int
    credential: Credential  # ANONYMOUS carries no token: the client must be configured without one
    scheme: AuthScheme  # how the client presents the token (one of the recipe's `schemes`; NONE when anonymous)
    group_id: int | None = None
    group_path: str | None = None
    top_group_path: str | None = None  # the top-level group (the npm scope at the instance level)

    @property
    def token(self) -> str | None:
        return self.credential.token

    @property
    def host(self) -> str:
        """host:port of the registry URL (npm's `//host:port/...:_authToken` keys need it)."""
        return self.registry_url.split("://", 1)[1]


@dataclass
class ClientCall:
    """One client command and what it needs. `files` may hold the token; the runner writes them, the report
    shows them with the token replaced by a placeholder."""

    argv: list[str]
    files: dict[str, str] = field(default_factory=dict)  # relative path → content
    env: dict[str, str] = field(default_factory=dict)  # never a secret: put secrets in files
    output: str | None = None  # relative path the command writes; for a pull, the file whose bytes are checked
    output_is_artifact: bool = True  # True: `output` must be byte-identical to the pushed file; False: must exist
    timeout_s: float = 600.0


class ClientRecipe(ABC):
    """One real client of one format (npm for npm, twine for PyPI, mvn for Maven, curl for Generic, …)."""

    name: str  # the driver name in case ids: npm, pnpm, pip, twine, uv, mvn, curl
    format: str  # the format it speaks (its Format's name, a key of formats.FORMATS)
    image: str  # the name of the image it runs in (a core.images.ImageRecipe its format declares in IMAGES)
    program: str  # the executable looked up on PATH for `--clients host`
    version_argv: list[str]  # prints the client's version
    schemes: tuple[AuthScheme, ...]  # how it can present a token; the matrix has one case per scheme
    operations: frozenset[ClientOp]  # what it can do

    def runs_scenario(self, name: str) -> bool:
        """Whether it runs the scenario of this name at all (True: every one it can carry out). A client that speaks
        one protocol of several (Conan 1 beside Conan 2) runs the scenarios that reach its protocol only."""
        return True

    def cannot_carry(self, kind: TokenKind, scheme: AuthScheme) -> str | None:
        """Why this client cannot present this kind of token in this scheme at all, or None when it can."""
        return None

    @abstractmethod
    def call(self, op: ClientOp, target: ClientTarget, name: str, version: str, file_name: str) -> ClientCall:
        """The call for one operation. `file_name` is the artifact's file (already in the working directory for a
        push; the file to fetch for a pull)."""
