"""The reference server's Terraform module registry: GitLab's routes (`routes.py`)."""

from reference_server.formats.terraform_module.routes import ROUTES

__all__ = ["ROUTES"]
