"""The store's files on disk: the database made private (0600), its start-up lock, and the salt file.

The salt file (`<db>.salt`) holds the secret mixed into user hashes. It is created once,
atomically and private, and never silently replaced: a new salt would stop `/forget`
finding anyone stored under the old one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from bot.config import ConfigError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no start-up lock, the migration retry still applies
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


def make_private(path: Path) -> None:
    """Create the database file 0600 (SQLite gives its -wal and -shm files the same mode), or make it so."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # an empty file is a new SQLite database
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)
                log.warning("%s was readable by other users; it is now private (0600)", file)
        except FileNotFoundError:
            pass
        except OSError as exc:  # not ours to change: say so, and go on
            log.warning("cannot make %s private: %s", file, exc)


@contextlib.contextmanager
def start_up_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created 0600) while one process sets the database up."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def read_salt(path: Path) -> str:
    """Read the salt file, creating it once (atomically, 0600) when it does not exist.

    Raises:
        ConfigError: When the file exists but is empty or cannot be read: a new salt
            would silently stop `/forget` from finding anyone stored under the old one.
    """
    try:
        value = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return _create_salt(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the salt file {path} ({getattr(exc, 'strerror', None) or exc}); "
            "make it a readable file for this user, or set OUTSOURCEBOT_SALT to the same salt"
        ) from None
    if not value:
        raise ConfigError(
            f"the salt file {path} is empty (an earlier start could not write it, e.g. on a full disk); "
            "write the old salt back or set OUTSOURCEBOT_SALT to it. If it is lost, delete the file: "
            "a new salt is made at the next start, and /forget cannot find questions stored before"
        )
    return value


def _create_salt(path: Path) -> str:
    """Write a new random salt to `path` unless another process got there first; return the salt in force.

    The salt goes into a private temporary file that is then linked into place, so the
    salt file never exists half written, and of two processes creating it at once the
    second finds the file and uses the first one's salt.
    """
    value = secrets.token_hex(16)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)  # whatever the umask
            os.write(fd, value.encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process wrote it first: use theirs
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return read_salt(path)
