"""Progress in a log: when the output is not a terminal, a run prints a counts line at an interval and a line as
each scenario's last case finishes, so a CI log is never silent for the length of a run."""

import io
import threading

from rich.console import Console

from core.results import CaseRecord
from engine.events import CaseFinished
from reports.progress import LiveProgress, scenario_of

IDS = ["scenarios/experiment/small-push.yaml::small-push[generic-personal_access_token-header-http]",
       "scenarios/experiment/small-push.yaml::small-push[npm-personal_access_token-header-http]",
       "scenarios/experiment/pull.yaml::pull[generic-anonymous-none-http]"]


def _record(case_id: str, outcome: str, reason: str = "") -> CaseRecord:
    return CaseRecord(case_id=case_id, scenario=scenario_of(case_id), stage="experiment", criteria=[],
                      format="generic", credential="personal_access_token", scheme="header", driver="http",
                      outcome=outcome, reason=reason, duration_s=0.1, run_id="r", started_at="")  # type: ignore[arg-type]


def test_a_log_gets_a_line_per_finished_scenario_and_a_final_count() -> None:
    out = io.StringIO()
    progress = LiveProgress(3, IDS, Console(file=out, force_terminal=False, width=200), log_every_s=3600)
    progress.start()
    progress.on_event(CaseFinished(_record("small-push[generic-personal_access_token-header-http]", "passed")))
    assert "scenario small-push done" not in out.getvalue()
    progress.on_event(CaseFinished(_record("small-push[npm-personal_access_token-header-http]", "failed",
                                           "expected 201, got 500")))
    progress.on_event(CaseFinished(_record("pull[generic-anonymous-none-http]", "passed")))
    progress.stop()
    text = out.getvalue()
    assert "cases: 3 to run" in text
    assert "FAILED small-push[npm-personal_access_token-header-http]: expected 201, got 500" in text
    assert "scenario small-push done: failed 1, passed 1" in text
    assert "scenario pull done: passed 1" in text
    assert text.rstrip().splitlines()[-1].startswith("cases 3/3 (100%): failed 1, passed 2;")


def test_the_interval_line_comes_while_no_case_finishes() -> None:
    out = io.StringIO()
    printed = threading.Event()
    progress = LiveProgress(3, IDS, Console(file=out, force_terminal=False, width=200), log_every_s=0.01)
    real_line = progress.log_line

    def line() -> None:
        real_line()
        printed.set()

    progress.log_line = line  # type: ignore[method-assign]
    progress.start()
    assert printed.wait(timeout=600)  # a generous bound that only a hung ticker reaches
    progress.stop()
    assert "cases 0/3 (0%): none finished yet;" in out.getvalue()
