"""The reference server's side of the package formats: one sub-package per format, found by `core.discovery`, so
adding a format edits no list here or in the app.

Each format's package exposes `ROUTES`: its Starlette routes, in the order they are matched (a more specific path
before a catch-all one). Formats from `HARNESS_FORMAT_DIRS` (see core/discovery.py) join from
`<dir>/reference_server/formats/<name>/`.
"""

from core.discovery import extra_dirs

__path__.extend(extra_dirs("reference_server/formats"))
