"""The bundled GitLab-compatible reference registry: `create_app(ServerSettings(...))`, `serve`, `running_server`."""

from core.faults import Fault
from reference_server.app import create_app
from reference_server.serve import running_server, serve
from reference_server.settings import ServerSettings

__all__ = ["Fault", "ServerSettings", "create_app", "running_server", "serve"]
