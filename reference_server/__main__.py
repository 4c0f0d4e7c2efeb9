"""`python -m reference_server --data-dir D [--port 0] [--admin-token-file F] [--fault NAME]...`

Prints `reference server listening on http://HOST:PORT` once listening. The admin token is read from
`--admin-token-file`; when that file does not exist, a new token is written there (mode 0600).
"""

import argparse
import os
from pathlib import Path

from core.faults import DESCRIPTIONS, parse_faults
from core.vocabulary import TokenKind
from reference_server.auth import new_token
from reference_server.serve import serve
from reference_server.settings import ServerSettings


def admin_token_from(path: Path) -> str:
    if path.exists():
        token = path.read_text().strip()
        if not token:
            raise SystemExit(f"admin token file {path} is empty")
        return token
    token = new_token(TokenKind.PERSONAL_ACCESS_TOKEN)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(token + "\n")
    return token


def size_limit(text: str) -> tuple[str, int]:
    name, _, value = text.partition("=")
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"expected FORMAT=BYTES, got {text!r}")
    return name, int(value)


def parser() -> argparse.ArgumentParser:
    faults = "\n".join(f"  {name}: {text}" for name, text in DESCRIPTIONS.items())
    p = argparse.ArgumentParser(prog="python -m reference_server", description="The bundled reference registry.",
                                epilog="faults:\n" + faults, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--admin-token-file", type=Path, help="read the admin token here, or write a new one")
    p.add_argument("--fault", action="append", default=[], metavar="NAME", help="inject a fault (repeatable)")
    p.add_argument("--size-limit", action="append", type=size_limit, default=[], metavar="FORMAT=BYTES")
    p.add_argument("--rate-limit-per-second", type=float, default=None)
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        parse_faults(args.fault)
    except ValueError as error:
        parser().error(str(error))
    settings = ServerSettings(
        data_dir=args.data_dir,
        size_limits=dict(args.size_limit),
        faults=frozenset(args.fault),
        admin_token=admin_token_from(args.admin_token_file) if args.admin_token_file else None,
        rate_limit_per_second=args.rate_limit_per_second,
    )

    def announce(url: str) -> None:
        print(f"reference server listening on {url}", flush=True)

    serve(args.host, args.port, settings, on_ready=announce)


if __name__ == "__main__":
    main()
