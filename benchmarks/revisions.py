"""Another git revision's code, unpacked beside the checkout, to measure side by side with ours.

On a machine whose load moves figures by tens of percent between runs, a change is measured
against its parent in the same run; both ``python -m benchmarks --against`` and
``python -m benchmarks.serving --against`` serve or import a revision's package from here
(put ``source_tree(rev) / "src"`` first on ``PYTHONPATH``).
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import tarfile
from collections.abc import Sequence
from pathlib import Path

from . import ROOT

OUT = ROOT / "benchmarks" / "out"
PARTS = ("src", "dashboards", "data")
"""What a tree holds: the package, the served app and the bundled dataset."""


def commit_of(rev: str) -> str:
    """The short commit id a revision (a commit, tag or branch) names."""
    return subprocess.run(
        ["git", "rev-parse", "--short", f"{rev}^{{commit}}"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


def source_tree(rev: str, overlay: Sequence[str] = ()) -> Path:
    """The package, dashboards and bundled data of git revision ``rev``, unpacked under
    benchmarks/out/ (once), with the checkout's version of each file in ``overlay`` (paths in
    the checkout) on top: one change measured against its parent, without the rest of the
    checkout's uncommitted work."""
    commit = commit_of(rev)
    digest = hashlib.sha256()
    for name in sorted(overlay):
        digest.update(name.encode() + b"\0" + (ROOT / name).read_bytes())
    tree = OUT / (f"source-{commit}" + (f"-{digest.hexdigest()[:8]}" if overlay else ""))
    if (tree / "src" / "alliances" / "__init__.py").is_file():
        return tree
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, *PARTS], cwd=ROOT, capture_output=True,
        check=True,
    ).stdout  # fmt: skip
    staging = tree.with_name(tree.name + "-staging")  # a half-written tree is never reused
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(staging, filter="data")
    for name in overlay:
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, staging / name)
    shutil.rmtree(tree, ignore_errors=True)
    staging.rename(tree)
    return tree
