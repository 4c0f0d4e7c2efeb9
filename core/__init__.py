"""The shared core: vocabulary, permission model, format interface types, result record, exit codes, fault names.

Nothing here imports another part of the project."""

__version__ = "0.1.0"
