"""What `junit.xml` carries per case: a few small properties, not the whole record (with its transcripts a record
runs to kilobytes: a run's junit.xml would weigh megabytes for CI to parse).

pytest's junitxml writes the file from each test report's properties; the plugin asks this listener for a case's
properties when it takes the record off the report.
"""

from __future__ import annotations

from engine.events import CaseFinished, Event

JUNIT_PROPERTIES = ("scenario", "format", "credential", "scheme", "driver", "outcome")


class JUnitProperties:
    """Listener: the JUnit properties of every finished case, by case id."""

    def __init__(self) -> None:
        self.by_case: dict[str, list[tuple[str, str]]] = {}

    def on_event(self, event: Event) -> None:
        if isinstance(event, CaseFinished):
            record = event.record
            values = {name: getattr(record, name) for name in JUNIT_PROPERTIES}
            self.by_case[record.case_id] = [(name, str(value)) for name, value in values.items() if value]

    def properties(self, case_id: str) -> list[tuple[str, str]]:
        return self.by_case.get(case_id, [])
