"""The distributions' OpenPGP keys and signatures, made with the host's GnuPG (`gpg`).

GitLab generates a key per distribution (Packages::Debian::GenerateDistributionKeyService, through GPGME, i.e.
GnuPG) and signs each Release it generates (SignDistributionService: `InRelease` clear-signed, `Release.gpg`
detached and armored). The reference server does the same with the `gpg` binary of the machine (Debian's gnupg):
the very implementation GPGME drives, no OpenPGP code of our own. Every key lives in one keyring per server
process (a temporary GNUPGHOME with a short path, as gpg-agent's socket needs; one gpg-agent), removed at exit (the
agent exits when its socket goes). A key outlives the process as GitLab's does in its database: its secret part,
exported, is kept with the distribution (`export_secret`) and imported again after a restart (`import_key`).
"""

import atexit
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

GPG = shutil.which("gpg") or "gpg"
TIMEOUT = 60


class SigningError(Exception):
    pass


class Keyring:
    def __init__(self) -> None:
        self._home: Path | None = None
        self._lock = threading.Lock()
        self._signed: dict[tuple[str, bytes, bool], bytes] = {}

    def _homedir(self) -> Path:
        if self._home is None:
            self._home = Path(tempfile.mkdtemp(prefix="rs-gpg-"))
            self._home.chmod(0o700)
            atexit.register(self.close)
        return self._home

    def close(self) -> None:
        home, self._home = self._home, None
        if home is not None:
            subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], capture_output=True,
                           check=False, timeout=TIMEOUT)
            shutil.rmtree(home, ignore_errors=True)

    def _gpg(self, *args: str, data: bytes | None = None) -> bytes:
        argv = [GPG, "--homedir", str(self._homedir()), "--batch", "--yes", "--no-tty", "--pinentry-mode",
                "loopback", "--passphrase", "", *args]
        done = subprocess.run(argv, input=data, capture_output=True, check=False, timeout=TIMEOUT)
        if done.returncode != 0:
            raise SigningError(done.stderr.decode("utf-8", "replace")[-500:])
        return done.stdout

    def generate(self, uid: str) -> str:
        """A new signing key for `uid` (ed25519, no expiry); its fingerprint."""
        with self._lock:
            out = self._gpg("--status-fd", "1", "--quick-gen-key", uid, "ed25519", "sign", "never")
        for line in out.decode().splitlines():
            if line.startswith("[GNUPG:] KEY_CREATED"):
                return line.split()[-1]
        raise SigningError("gpg created no key")

    def export_secret(self, fingerprint: str) -> str:
        with self._lock:
            return self._gpg("--armor", "--export-secret-keys", fingerprint).decode()

    def import_key(self, armored: str) -> None:
        with self._lock:
            self._gpg("--import", data=armored.encode())

    def public_key(self, fingerprint: str) -> bytes:
        with self._lock:
            return self._gpg("--armor", "--export", fingerprint)

    def sign(self, fingerprint: str, data: bytes, clear: bool) -> bytes:
        """InRelease (`clear`: the document with its signature around it) or Release.gpg (detached, armored)."""
        key = (fingerprint, data, clear)
        with self._lock:
            if key not in self._signed:
                mode = "--clearsign" if clear else "--detach-sign"
                self._signed[key] = self._gpg("--local-user", fingerprint, "--digest-algo", "SHA512", "--armor",
                                              mode, data=data)
                if len(self._signed) > 4096:
                    self._signed.pop(next(iter(self._signed)))
            return self._signed[key]
