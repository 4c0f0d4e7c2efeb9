"""The package-registry rollout harness: scenarios, drivers, provisioning and the pytest engine."""

__version__ = "0.1.0"
