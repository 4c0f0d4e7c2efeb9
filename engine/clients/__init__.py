"""Real package-manager clients: what each one runs for an operation (recipes), and where it runs
(a container from a locally built image, or the host), behind a recording proxy that keeps the transcript."""
