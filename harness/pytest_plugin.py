"""The pytest plugin: `pytest scenarios` is the conformance suite, and `harness run` runs pytest.

- Every option of engine/config.py is also `--harness-<name>` here.
- The controlling process (the xdist controller, or the only process) starts the reference server when no
  target is given, provisions the run and hands the run context to the workers in memory.
- Each YAML file under scenarios/ is collected into cases (scenario × format × credential × scheme ×
  driver), one pytest item each, with a readable id and markers (stage, format, negative, slow).
- The outputs are listeners (engine/events.py); this plugin only wires them to the buses. Where a case runs
  (a worker, or the only process), its bus has the load report. The controller's bus hears of each finished
  case through pytest's report hooks (xdist forwards worker reports): results.jsonl, the JUnit properties, the
  live progress line; at the end, judged once, the reports; then `verdict.json`, on Ctrl-C too.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from core import __version__
from core.credentials import REDACTOR
from core.exit_codes import ExitCode
from core.results import CaseRecord
from core.vocabulary import Outcome, Stage
from engine.cases import run_case
from engine.clients.setup import prepare_clients
from engine.config import OPTIONS, ConfigError, Settings, load_settings
from engine.events import CaseFinished, EventBus
from engine.gitlab_api import ProvisioningError
from engine.known_failures import load_known_failures
from engine.matrix import Case, check_drivers, check_not_empty, expand, scenario_applicability
from engine.preflight import NotGitLab
from engine.provisioning import RunContext, TokenFileError, provision_run, read_token_file
from engine.readiness import load_signoffs, load_stages, stages_through
from engine.reference import ReferenceServer, ReferenceServerError
from engine.scenario import (
    BUNDLED_DIR,
    ScenarioError,
    check_selection,
    declared_name,
    is_scenario_file,
    load_scenario,
    read_scenarios,
    scenario_dirs,
)
from formats import FORMATS
from harness.finish import finish_run, write_scenario_errors, write_setup_failure
from harness.run_state import RunState
from reports.load_report import LoadReportWriter
from reports.progress import LiveProgress
from reports.render import RunReport
from reports.results_file import ResultsFile

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS_DIR = BUNDLED_DIR
RECORD_KEY = "harness_record"
CTX_KEY = "harness_ctx"
_ctx_key = pytest.StashKey[RunContext]()
_run_key = pytest.StashKey[RunState]()
_case_bus_key = pytest.StashKey[EventBus]()
_paths_key = pytest.StashKey[list[Path]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "package-registry rollout harness")
    for option in OPTIONS:
        group.addoption("--harness-" + option.name.replace("_", "-"), dest="harness_" + option.name, default=None,
                        metavar=option.metavar, help=option.help)
    group.addoption("--harness-config", dest="harness_config", default=None, metavar="FILE",
                    help="config file (default: harness.yaml if present)")
    group.addoption("--harness-progress", dest="harness_progress", action="store_true",
                    help="show a live progress line instead of pytest's per-test output")


def settings_from(config: pytest.Config) -> Settings:
    flags = {o.name: config.getoption("harness_" + o.name) for o in OPTIONS}
    settings = load_settings(flags, config_path=config.getoption("harness_config"))
    check_drivers(settings.drivers)
    return settings


def _scenario_paths(config: pytest.Config) -> list[Path]:
    """Where this session's scenarios are: the bundled directory, a team's own (`--harness-scenario-dirs`,
    `HARNESS_SCENARIO_DIRS`, the config file), and scenario files named on the command line
    (`pytest my-scenarios/my-push.yaml`)."""
    try:
        extra: list[str | Path] = list(settings_from(config).scenario_dirs)
    except ConfigError:
        extra = []  # the run's configuration check says what is wrong
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if path.is_file() and is_scenario_file(path) and not any(p in path.parents for p in scenario_dirs(extra)):
            extra.append(path)
    return scenario_dirs(extra)


def _is_run_scenario(path: Path, paths: list[Path]) -> bool:
    return path in paths or any(p in path.parents for p in paths if p.is_dir())


def _targets_scenarios(config: pytest.Config) -> bool:
    paths = config.stash[_paths_key]
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if _is_run_scenario(path, paths) or any(path in p.parents for p in paths):
            return True
    return False


def _new_run_id() -> str:
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def _case_bus() -> EventBus:
    """The bus of a process that runs cases (an xdist worker, or the only process): what must happen where the
    case ran. Its CaseFinished events stay here; the controller hears of them from the case's report."""
    return EventBus([LoadReportWriter()])


def _controller_bus(state: RunState) -> None:
    """Wire the run's outputs to the controller's bus (the live progress joins once the cases are counted)."""
    for listener in (state.records, ResultsFile(state.run_dir / "results.jsonl"), state.junit,
                     RunReport(state.run_dir)):
        state.bus.subscribe(listener)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for stage in Stage:
        config.addinivalue_line("markers", f"{stage.value}: case of the {stage.value} stage")
    for name in FORMATS:  # every discovered format marks its cases (`-m npm`)
        config.addinivalue_line("markers", f"{name}: case of the {name} format")
    config.addinivalue_line("markers", "negative: case of a credential that must be refused")
    config.stash[_case_bus_key] = _case_bus()
    config.stash[_paths_key] = _scenario_paths(config)
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        if CTX_KEY in workerinput:
            config.stash[_ctx_key] = RunContext.from_dict(json.loads(workerinput[CTX_KEY]))
        return
    if not _targets_scenarios(config):
        return
    try:
        settings = settings_from(config)
        token_file = read_token_file(settings.token_file)  # a missing token file leaves no run folder behind
    except (ConfigError, TokenFileError) as exc:
        raise pytest.UsageError(str(exc)) from None
    run_id = settings.run_id or _new_run_id()
    run_dir = Path(settings.out_dir) / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    state = RunState(settings, run_dir)
    _controller_bus(state)
    config.stash[_run_key] = state
    if not config.option.xmlpath:
        config.option.xmlpath = str(run_dir / "junit.xml")
    (run_dir / "run.json").write_text(json.dumps({"run_id": run_id, "command": REDACTOR(" ".join(sys.argv)),
                                                  "started_at": state.started_at}, indent=2))
    try:
        paths = config.stash[_paths_key]
        check_selection(paths, settings.stage, settings.scenarios)
        scenarios = read_scenarios(paths)
        blocking = scenarios.blocking(settings.scenarios)
        state.scenario_warnings = [b.error for b in scenarios.broken if b not in blocking]
        check_not_empty(scenarios, settings)
        state.applicability = scenario_applicability(scenarios)
        stages = load_stages()  # a bad stages or sign-off file stops the run now, not after it
        if settings.signoff_file:
            load_signoffs(Path(settings.signoff_file), stages)
        if settings.known_failures:
            load_known_failures(settings.known_failures)
        state.ctx = _provision(state, run_id, token_file)
    except (TokenFileError, ConfigError, ScenarioError) as exc:
        _stop_server(state)
        raise pytest.UsageError(str(exc)) from None
    except (ProvisioningError, ReferenceServerError, NotGitLab) as exc:
        _stop_server(state)
        status = getattr(exc, "status", None)
        code = ExitCode.NOT_READY if status is not None and status >= 500 else ExitCode.HARNESS  # the target's 5xx
        message = write_setup_failure(run_dir, settings.stage, str(exc), code)
        pytest.exit(message, returncode=code)
    config.stash[_ctx_key] = state.ctx
    config.pluginmanager.register(ControllerHooks(state), "harness-controller")


def _provision(state: RunState, run_id: str, token_file: dict[str, Any]) -> RunContext:
    settings = state.settings
    if settings.target:
        owner = token_file.get("owner")
        if not owner:
            raise TokenFileError("the token file has no 'owner' token (api scope, maintainer on the project or "
                                 "group): it is needed to set up and verify cases")
        url, reference = settings.target.rstrip("/"), False
    else:
        state.server_data = Path(tempfile.mkdtemp(prefix="harness-reference-"))
        state.server = ReferenceServer(state.server_data, faults=settings.faults, size_limits=settings.size_limits,
                                       log_path=state.run_dir / "reference-server.log")
        state.server.__enter__()
        url, owner, reference = state.server.url, state.server.admin_token, True
    ctx = provision_run(run_id, state.run_dir, url, str(owner), reference=reference,
                        given_project=settings.project, token_file=token_file,
                        settings=settings.as_dict(), size_limits=settings.size_limits)
    ctx.clients = prepare_clients(settings)
    return ctx


def pytest_configure_node(node: Any) -> None:
    """xdist: hand the run context to each worker in memory (tokens never touch the disk)."""
    ctx = node.config.stash.get(_ctx_key, None)
    if ctx is not None:
        node.workerinput[CTX_KEY] = json.dumps(ctx.to_dict())


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if is_scenario_file(file_path) and _is_run_scenario(file_path.resolve(), parent.config.stash[_paths_key]):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self) -> list[CaseItem]:
        settings = settings_from(self.config)
        try:
            scenario = load_scenario(self.path)
        except ScenarioError as exc:
            if settings.scenarios and declared_name(self.path) not in settings.scenarios:
                return []  # outside the `--scenarios` selection: reported in the summary, not blocking
            raise self.CollectError(str(exc)) from None
        if scenario.stage.value not in stages_through(settings.stage):
            return []
        if settings.scenarios and scenario.name not in settings.scenarios:
            return []
        for tag in scenario.tags:  # a team's scenario may bring tags of its own: registered, not warned of
            self.config.addinivalue_line("markers", f"{tag}: scenario tag")
        items = []
        for case in expand(self.path, scenario, settings):
            item = CaseItem.from_parent(self, name=f"{scenario.name}[{case.params_id}]", case=case)
            item.add_marker(scenario.stage.value)
            item.add_marker(case.format)
            if case.credential.is_negative:
                item.add_marker("negative")
            for tag in scenario.tags:
                item.add_marker(tag)
            items.append(item)
        return items


class CaseFailed(Exception):
    pass


class CaseError(Exception):
    pass


class CaseItem(pytest.Item):
    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        ctx = self.config.stash.get(_ctx_key, None)
        if ctx is None:
            raise CaseError("no run context: the scenarios must be run through `pytest scenarios` or `harness "
                            "run`, with the harness plugin loaded")
        index = self.session.items.index(self) if self in self.session.items else 0
        record = run_case(self.case, ctx, index, self.config.stash.get(_case_bus_key, None))
        self.user_properties.append((RECORD_KEY, record.to_json()))  # to the controller, on the case's report
        if record.outcome == Outcome.FAILED:
            raise CaseFailed(record.reason)
        if record.outcome == Outcome.ERROR:
            raise CaseError(record.reason)
        if record.outcome in (Outcome.NOT_RUN, Outcome.NOT_APPLICABLE):
            pytest.skip(f"{record.outcome}: {record.reason}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailed):
            return f"FAILED (the target broke an expectation): {excinfo.value}"
        if isinstance(excinfo.value, CaseError):
            return f"ERROR (the harness or its environment broke, not the target): {excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, self.case.id


class ControllerHooks:
    """The controlling process's hooks (registered only there): case reports become the bus's CaseFinished
    events, and collection errors are kept for the end."""

    def __init__(self, state: RunState) -> None:
        self.state = state

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """The record travels on the case's reports: the call's report finishes the case on the bus; every report
        leaves with the case's JUnit properties instead of the record (before junitxml reads it)."""
        records = [str(value) for key, value in report.user_properties if key == RECORD_KEY]
        if not records:
            return  # none, or already replaced (without xdist every report of an item shares one list)
        record = CaseRecord.from_dict(json.loads(records[0]))
        try:
            if report.when == "call":
                self.state.bus.emit(CaseFinished(record))
        finally:
            kept = [(k, v) for k, v in report.user_properties if k != RECORD_KEY]
            report.user_properties[:] = kept + list(self.state.junit.properties(record.case_id))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.state.collect_errors.append(str(report.longrepr).strip().splitlines()[-1] if report.longrepr
                                             else report.nodeid)


def _start_progress(config: pytest.Config, state: RunState, total: int, case_ids: list[str]) -> None:
    if config.getoption("harness_progress") and state.progress is None:
        state.progress = LiveProgress(total, case_ids)
        state.bus.subscribe(state.progress)
        state.progress.start()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = config.stash.get(_run_key, None)
    if state is not None:
        state.total = sum(1 for i in items if isinstance(i, CaseItem))


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    state = session.config.stash.get(_run_key, None)
    if state is not None:
        ids = [i.nodeid for i in session.items if isinstance(i, CaseItem)]
        _start_progress(session.config, state, state.total or len(session.items), ids)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    state = node.config.stash.get(_run_key, None)
    if state is not None and not state.total:
        state.total = len(ids)
        _start_progress(node.config, state, state.total, ids)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(_run_key, None)
    if state is None or getattr(session.config, "workerinput", None) is not None:
        return
    if state.progress is not None:
        state.progress.stop()
    if state.collect_errors:
        state.verdict = write_scenario_errors(state.run_dir, state.settings.stage, state.collect_errors)
        return
    state.verdict = finish_run(state, interrupted=exitstatus == pytest.ExitCode.INTERRUPTED,
                               harness_version=__version__)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(_run_key, None)
    if state is None or not state.verdict:
        return
    verdict = state.verdict
    terminalreporter.write_sep("=", "readiness")
    terminalreporter.write_line(f"report: {state.run_dir / 'report.html'}")
    terminalreporter.write_line(f"{verdict['stage']}: {verdict['verdict'].replace('_', ' ')} — {verdict['why']}")


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_run_key, None)
    if state is not None:
        _stop_server(state)


def _stop_server(state: RunState) -> None:
    if state.server is None:
        return
    state.server.__exit__(None, None, None)
    state.server = None
    if state.server_data is not None:
        shutil.rmtree(state.server_data, ignore_errors=True)
