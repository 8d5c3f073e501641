"""Back up and restore the bot's database with SQLite's online backup API.

A backup is a folder holding `outsourcebot.db` (a consistent copy taken while the bot
may be writing: SQLite's backup API reads one snapshot, and in WAL mode the bot's
writes go on meanwhile) and `outsourcebot.salt` (without it the stored user hashes
cannot be matched again, so `/forget` would find nobody). The search index, the
embedding cache and the ONNX graph are not backed up: they are rebuilt from the
notes and the packaged model at the next start. Saved reports are not either: run
`outsourcebot report` again.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.config import ConfigError

log = logging.getLogger(__name__)

DB_NAME = "outsourcebot.db"
SALT_NAME = "outsourcebot.salt"
TABLES = ("questions", "feedback", "unanswered", "conversations")
"""The tables whose row counts a backup and a restore report."""


@dataclass(frozen=True)
class BackupResult:
    """What a backup or restore copied.

    Attributes:
        database: The database file written.
        salt: The salt file written, or None when the salt comes from OUTSOURCEBOT_SALT.
        rows: Row count per table of the copy.
    """

    database: Path
    salt: Path | None
    rows: dict[str, int]

    def summary(self) -> str:
        """One line: the rows per table."""
        return ", ".join(f"{count} {table}" for table, count in self.rows.items())


def _rows(conn: sqlite3.Connection) -> dict[str, int]:
    names = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
    return {t: int(conn.execute(f"select count(*) from [{t}]").fetchone()[0]) for t in TABLES if t in names}


def _check(conn: sqlite3.Connection, path: Path) -> None:
    """Raise ConfigError unless the database at `path` is whole and one of the bot's."""
    try:
        verdict = conn.execute("pragma integrity_check").fetchone()[0]
        names = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"{path} is not a readable SQLite database ({exc})") from None
    if verdict != "ok":
        raise ConfigError(f"{path} fails SQLite's integrity check: {verdict}")
    if "_sqlite_migrations" not in names or "questions" not in names:
        raise ConfigError(f"{path} is not an outsourcebot database (no questions table or migrations)")


def _copy(source: Path, target: Path) -> dict[str, int]:
    """Copy the database `source` to `target` with the backup API (atomically, 0600); return its row counts."""
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        src = sqlite3.connect(source, timeout=30)
        try:
            _check(src, source)
            dst = sqlite3.connect(tmp)
            try:
                # One step (pages=-1): a single read snapshot of the source. In WAL mode the
                # bot's writers are not blocked meanwhile; a stepwise copy would restart each
                # time another connection writes.
                src.backup(dst)
                dst.execute("pragma journal_mode = delete")  # one self-contained file, no -wal beside it
                _check(dst, target)
                rows = _rows(dst)
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return rows


def _copy_file(source: Path, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def backup(data_dir: Path, dest: Path, salt_from_env: bool = False) -> BackupResult:
    """Copy the bot's database (and its salt file) from `data_dir` into the folder `dest`.

    Safe while the bot runs and writes: the copy is one consistent snapshot.
    Files already in `dest` are replaced, each atomically.

    Args:
        data_dir: The bot's data folder (OUTSOURCEBOT_DATA_DIR).
        dest: The backup folder; created (0700) if missing.
        salt_from_env: The salt is set by OUTSOURCEBOT_SALT, so there is no salt file to copy.

    Returns:
        The files written and the copy's row counts.

    Raises:
        ConfigError: No database in `data_dir`, or it is damaged.
    """
    source = data_dir / DB_NAME
    if not source.is_file():
        raise ConfigError(f"no database to back up: {source} does not exist (is OUTSOURCEBOT_DATA_DIR right?)")
    salt = data_dir / SALT_NAME
    if not salt_from_env and not salt.is_file():
        raise ConfigError(f"{salt} is missing: without it a backup cannot be matched to its users again")
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    if dest.resolve() == data_dir.resolve():
        raise ConfigError("the backup folder is the data folder itself; give another folder")
    rows = _copy(source, dest / DB_NAME)
    salt_copy = None
    if not salt_from_env:
        salt_copy = dest / SALT_NAME
        _copy_file(salt, salt_copy)
    log.info("backed up %s to %s (%s)", source, dest, rows)
    return BackupResult(dest / DB_NAME, salt_copy, rows)


def restore(source: Path, data_dir: Path, force: bool = False, salt_from_env: bool = False) -> BackupResult:
    """Put a backup folder's database (and salt) into the data folder `data_dir`.

    Stop the bot first: a running bot keeps its own connection and salt. The backup
    is checked before anything is replaced. A data folder that already holds
    questions is replaced only with `force`.

    Args:
        source: A folder written by `backup` (or one holding an `outsourcebot.db`).
        data_dir: The bot's data folder; created (0700) if missing.
        force: Replace a database that already holds questions.
        salt_from_env: The salt is set by OUTSOURCEBOT_SALT, so no salt file is restored.

    Returns:
        The files written and the restored database's row counts.

    Raises:
        ConfigError: The backup is missing, damaged or not the bot's, or `data_dir`
            holds questions and `force` is not given.
    """
    backup_db = source / DB_NAME
    if not backup_db.is_file():
        raise ConfigError(f"{source} holds no {DB_NAME}: give the folder `outsourcebot backup` wrote")
    backup_salt = source / SALT_NAME
    if not salt_from_env and not backup_salt.is_file():
        raise ConfigError(
            f"{backup_salt} is missing: the backup's user hashes need its salt "
            "(set OUTSOURCEBOT_SALT to it if it was set that way)"
        )
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = data_dir / DB_NAME
    if target.is_file() and not force:
        conn = sqlite3.connect(target, timeout=30)
        try:
            held = _rows(conn).get("questions", 0)
        except sqlite3.DatabaseError:
            held = -1
        finally:
            conn.close()
        if held:
            what = "is not readable" if held < 0 else f"holds {held} question(s)"
            raise ConfigError(f"{target} {what}; stop the bot and pass --force to replace it with the backup")
    # The old database's log must never be replayed over the restored one: removed first.
    for stale in (target.with_name(DB_NAME + "-wal"), target.with_name(DB_NAME + "-shm")):
        stale.unlink(missing_ok=True)
    rows = _copy(backup_db, target)
    salt_copy = None
    if not salt_from_env:
        salt_copy = data_dir / SALT_NAME
        _copy_file(backup_salt, salt_copy)
    log.info("restored %s into %s (%s)", source, data_dir, rows)
    return BackupResult(target, salt_copy, rows)
