"""Reports of a run: `report.html` and `summary.md` (reports/render.py), from the case records and the readiness."""
