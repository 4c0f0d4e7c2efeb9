"""What one running case holds: the case, the run, its provisioned environment, its drivers and what its steps
have pushed and measured so far."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.credentials import Credential
from core.format_types import Artifact, Endpoint, FormatOperations, RequestSpec
from core.project_setup import ProjectSetup
from core.results import StepRecord
from core.vocabulary import AuthScheme
from engine.cases.errors import CaseNotRun
from engine.clients.driver import ClientDriver
from engine.drivers.http import HttpDriver
from engine.events import Event, EventBus
from engine.matrix import Case
from engine.provisioning import CaseEnv, RunContext
from engine.scenario import PackageRef, Step
from formats import FORMATS, OPERATIONS


@dataclass
class CaseState:
    case: Case
    ctx: RunContext
    env: CaseEnv
    driver: HttpDriver
    bus: EventBus
    client: ClientDriver | None = None  # the real client that takes the subject's steps, when the case has one
    pushed: dict[str, tuple[str, int]] = field(default_factory=dict)  # step name → (sha256, size)
    # what the case's acknowledged pushes put on the target, less what it deleted: name → version → the file
    published: dict[str, dict[str, Artifact]] = field(default_factory=dict)
    steps: list[StepRecord] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    events_before: dict[tuple[str, str, str], float] | None = None  # usage counters as the case began

    @property
    def setup(self) -> ProjectSetup:
        """The case's project set-up, its protection rules' patterns under the run's name prefix."""
        return self.case.scenario.project.setup(self.env.name_prefix)

    @property
    def format_name(self) -> str:
        return self.case.format

    @property
    def ops(self) -> FormatOperations:
        return OPERATIONS[self.case.format]

    def emit(self, event: Event) -> None:
        self.bus.emit(event)

    def uses_client(self, step: Step) -> bool:
        return self.client is not None and step.actor == "subject"

    def actor(self, step: Step, endpoint: Endpoint | None = None) -> tuple[Credential, AuthScheme]:
        """Who takes the step: the owner (set-up, over PRIVATE-TOKEN, or the carrier `endpoint` reads where it reads
        no PRIVATE-TOKEN) or the case's subject (its scheme)."""
        if step.actor == "owner":
            return self.ctx.owner, endpoint.auth.owner_scheme if endpoint is not None else AuthScheme.HEADER
        assert self.env.subject is not None
        return self.env.subject, self.case.scheme

    def name(self, logical: str) -> str:
        return self.env.name_prefix + logical

    def package(self, ref: PackageRef) -> str:
        """The package's name on the target: the run's prefix, and for a scoped package (npm's instance-level
        naming convention) the case's top-level group as its scope."""
        name = self.name(ref.name)
        if ref.scoped:
            path = (self.env.group_path or "").split("/")
            if len(path) < 2:
                raise CaseNotRun("a scoped package needs the case's own group under the run's top-level group: "
                                 "run without --project")
            # Every case shares the top-level group, and the instance level serves the newest package of a name
            # in it: the case's own group in the name keeps the cases apart.
            name = f"@{path[0].lower()}/{path[-1].lower()}-{name}"
        return name

    def group_id(self) -> int:
        if self.env.group_id is None:
            raise CaseNotRun("group-level endpoints need the case's own group: run without --project")
        return int(self.env.group_id)

    def metadata_spec(self, name: str) -> RequestSpec | None:
        """The package's metadata document as a project-level step reads it: the project's own, or, for a format
        that serves it at the group level only (Composer), the case's group's."""
        if self.ops.metadata_group_only:
            return self.ops.group_metadata(self.group_id(), name)
        return self.ops.metadata(self.env.project_id, name)

    def size_limit(self) -> int:
        return self.ctx.size_limits.get(self.format_name, FORMATS[self.format_name].rules.size_limit)
