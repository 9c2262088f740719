"""Writing files so that readers never see half of one, and where what is computed once from a
dataset folder is kept (:func:`cache_root`)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

CACHE_FOLDER = ".alliances"
"""The folder beside a dataset's files that holds what is computed from them once (the
engine's rollups, the network's layout): ``.gitignore`` it."""


def cache_root(folder: Path) -> Path:
    """Where what is computed from a dataset folder is kept: inside it, or the user's cache if
    the folder is read-only."""
    inside = Path(folder) / CACHE_FOLDER
    if os.access(folder, os.W_OK) or (inside.is_dir() and os.access(inside, os.W_OK)):
        return inside
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "alliances"
    key = hashlib.sha256(str(Path(folder).resolve()).encode()).hexdigest()[:16]
    return base / "rollups" / key


def write_atomic(path: Path, data: str | bytes, encoding: str = "utf-8") -> Path:
    """Write to a temporary file beside ``path``, then rename it over ``path``.

    A crash or a full disk leaves the old file (or none), never a half-written one.
    """
    path = Path(path)
    payload = data.encode(encoding) if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def staging_folder(output: Path, suffix: str) -> Path:
    """A new private folder beside ``output`` to write a whole dataset into, before
    :func:`replace_folder` moves it into place (same file system: the move is a rename)."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{output.name}.", suffix=suffix, dir=output.parent))


def replace_folder(folder: Path, output: Path) -> None:
    """Move the finished ``folder`` to ``output``, replacing what is there: the old folder is
    renamed aside first and removed only once the new one is in place, so a reader sees the
    old dataset or the new one, never a mix (and a failed move puts the old one back)."""
    import shutil

    os.chmod(folder, 0o755)  # mkdtemp makes it private; a dataset folder is not
    if not output.exists():
        os.replace(folder, output)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    os.rmdir(old)
    os.replace(output, old)
    try:
        os.replace(folder, output)
    except OSError:
        os.replace(old, output)
        raise
    shutil.rmtree(old, ignore_errors=True)
