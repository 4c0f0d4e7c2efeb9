"""Wires the harness's pytest plugin: `pytest scenarios` is the conformance suite."""

pytest_plugins = ["harness.pytest_plugin"]
