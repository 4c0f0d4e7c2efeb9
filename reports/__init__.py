"""The outputs of a run, each a listener on the engine's events (engine/events.py): live progress, results.jsonl,
the JUnit properties, report.html and summary.md, the load report; and `harness report open|diff|bundle`."""
