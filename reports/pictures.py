"""The report's pictures: the scenario × credential matrix per format, and the metric charts, as inline SVG."""

from __future__ import annotations

from collections import defaultdict

from core.results import CaseRecord
from core.vocabulary import AuthScheme, CredentialCase, Outcome
from reports.look import OUTCOME_ORDER, case_anchor, outcome_colour, outcome_words
from reports.svg import Bar, Mark, bar_chart, matrix_grid

MAX_BARS = 40
LEGEND = [(outcome_words(o), outcome_colour(o)) for o in OUTCOME_ORDER]
# Metrics whose name says what they are; anything else is charted with its bare name.
UNITS = {"_mib_s": "MiB/s", "_ms": "ms", "_s": "s", "_rps": "requests/s"}


def _order(values: set[str], known: list[str]) -> list[str]:
    """`values` in the order of `known`, then the unknown ones alphabetically."""
    return [v for v in known if v in values] + sorted(values - set(known))


def _href(record: CaseRecord) -> str | None:
    return f"#{case_anchor(record.case_id)}" if record.outcome in (Outcome.FAILED, Outcome.ERROR) else None


def _tooltip(record: CaseRecord) -> str:
    reason = f": {record.reason}" if record.reason else ""
    return f"{record.case_id} ({record.driver}) — {outcome_words(record.outcome)}{reason}"


def matrix_svgs(records: list[CaseRecord], formats: list[str], scenario_order: list[str]) -> list[str]:
    """One matrix per format: rows = scenarios, columns = credential case × scheme, colour = outcome."""
    pictures = []
    credentials = [c.value for c in CredentialCase]
    schemes = [s.value for s in AuthScheme]
    for fmt in formats:
        mine = [r for r in records if r.format == fmt]
        if not mine:
            continue
        rows = _order({r.scenario for r in mine}, scenario_order)
        pairs = {(r.credential, r.scheme) for r in mine}
        columns = sorted(
            pairs,
            key=lambda p: (
                credentials.index(p[0]) if p[0] in credentials else len(credentials),
                p[0],
                schemes.index(p[1]) if p[1] in schemes else len(schemes),
                p[1],
            ),
        )
        cells: dict[tuple[int, int], list[CaseRecord]] = defaultdict(list)
        for record in mine:
            cells[(rows.index(record.scenario), columns.index((record.credential, record.scheme)))].append(record)
        marks = {
            key: [Mark(outcome_colour(r.outcome), _tooltip(r), _href(r)) for r in sorted(cases, key=lambda r: r.driver)]
            for key, cases in cells.items()
        }
        labels = [f"{credential} · {scheme}" for credential, scheme in columns]
        pictures.append(matrix_grid(rows, labels, marks, title=f"{fmt}: scenario × credential", legend=LEGEND))
    return pictures


def client_matrix_svg(records: list[CaseRecord], formats: list[str]) -> str | None:
    """Format × driver rows against token kinds and negative cases: does every client carry every kind?

    A cell sums every scenario and scheme of that format, driver and credential; its colour is the worst outcome
    there (failed, error, passed, not run, not applicable), its tooltip the counts, its link the first failure.
    """
    if not records:
        return None
    credentials = [c.value for c in CredentialCase]
    drivers = sorted({r.driver for r in records}, key=lambda d: (d != "http", d))
    rows = [(f, d) for f in formats for d in drivers if any(r.format == f and r.driver == d for r in records)]
    columns = _order({r.credential for r in records}, credentials)
    cells: dict[tuple[int, int], list[CaseRecord]] = defaultdict(list)
    for record in records:
        if (record.format, record.driver) in rows:
            cells[(rows.index((record.format, record.driver)), columns.index(record.credential))].append(record)
    marks = {}
    for key, cases in cells.items():
        worst = min(cases, key=lambda r: OUTCOME_ORDER.index(Outcome(r.outcome)))
        counts: dict[str, int] = defaultdict(int)
        for case in cases:
            counts[outcome_words(case.outcome)] += 1
        summary = ", ".join(f"{n} {word}" for word, n in sorted(counts.items()))
        format_name, driver = rows[key[0]]
        tooltip = f"{format_name} via {driver}, {columns[key[1]]}: {summary}"
        if worst.outcome in (Outcome.NOT_RUN, Outcome.NOT_APPLICABLE) and worst.reason:
            tooltip += f" — {worst.reason}"
        elif worst.outcome in (Outcome.FAILED, Outcome.ERROR):
            tooltip += f" — first: {worst.case_id}: {worst.reason}"
        marks[key] = [Mark(outcome_colour(worst.outcome), tooltip, _href(worst))]
    labels = [f"{f} · {d}" for f, d in rows]
    return matrix_grid(labels, columns, marks, title="format · driver × credential (all scenarios)", legend=LEGEND)


def _unit(metric: str) -> str:
    return next((unit for suffix, unit in UNITS.items() if metric.endswith(suffix)), "")


def _label(record: CaseRecord) -> str:
    return f"{record.format} · {record.credential} · {record.scheme} · {record.driver}"


def metric_svgs(records: list[CaseRecord]) -> list[str]:
    """One horizontal bar chart per metric and scenario (throughput of large-push, p95 of metadata-many, …)."""
    charts: dict[tuple[str, str], list[CaseRecord]] = defaultdict(list)
    for record in sorted(records, key=lambda r: r.case_id):
        for name in record.metrics:
            if not name.startswith("load_"):  # a load's numbers have their own section, with its own pictures
                charts[(record.scenario, name)].append(record)
    pictures = []
    for (scenario, name), having in sorted(charts.items()):
        shown = having[:MAX_BARS]
        bars = [
            Bar(
                label=_label(r),
                value=float(r.metrics[name]),
                colour=outcome_colour(r.outcome),
                tooltip=f"{r.case_id}: {name} = {r.metrics[name]:g} ({outcome_words(r.outcome)})",
                href=_href(r),
            )
            for r in shown
        ]
        more = f" (first {len(shown)} of {len(having)} cases)" if len(having) > len(shown) else ""
        pictures.append(bar_chart(bars, title=f"{scenario}: {name}{more}", unit=_unit(name)))
    return pictures
