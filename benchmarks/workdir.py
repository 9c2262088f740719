"""``benchmarks/out/``, where a run keeps what later runs reuse: the generated datasets (each
size and layout, regenerated only when the generator's source changes) and each size's results
(so that a run of some sizes still shows the others' columns on the page).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import ROOT
from .results import SizeResult
from .synthetic import GENERATOR

OUT = ROOT / "benchmarks" / "out"


def log(message: str) -> None:
    """One timestamped progress line of a run, on stderr (runs take hours)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _source_hash() -> str:
    """A digest of the generator's source files: a cached dataset is reused while it holds."""
    digest = hashlib.sha256()
    for path in GENERATOR:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def dataset(n: int, seed: int, layout: str = "csv") -> tuple[Path, dict | None]:
    """The generated folder for ``n`` events, reused while the generator is unchanged.

    Returns the folder and, if it was generated now, the generator's seconds and peak RSS
    (``None`` if it was reused). ``layout="parquet"``: events partitioned by year
    (``events/year=YYYY/part-N.parquet``). Generated in a child process, into a staging
    folder that is renamed when complete: an interrupted run leaves nothing to reuse.
    """
    name = f"data-{n}-seed{seed}" + ("-parquet" if layout == "parquet" else "")
    folder = OUT / name
    marker = OUT / f"{name}.json"
    wanted = {"n_events": n, "seed": seed, "generator": _source_hash()}
    if folder.is_dir() and marker.is_file():
        kept = json.loads(marker.read_text())
        if {k: kept.get(k) for k in wanted} == wanted:
            return folder, None
    shutil.rmtree(folder, ignore_errors=True)
    marker.unlink(missing_ok=True)
    staging = OUT / f"{name}-staging"
    shutil.rmtree(staging, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    log(f"generating {n:,} events ({layout}) in {staging}")
    command = [sys.executable, "-m", "benchmarks.synthetic", str(n), str(staging)]
    command += ["--seed", str(seed), "--layout", layout]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeError(f"generating {n:,} events failed: {proc.stderr.strip()[-2000:]}")
    made = json.loads(proc.stdout.strip().splitlines()[-1])
    staging.rename(folder)
    marker.write_text(json.dumps(wanted | made))
    return folder, made


def on_disk_mb(folder: Path) -> float:
    """Size of a dataset's tables (every part of a partitioned one), in MB."""
    from alliances import schema
    from alliances.reading import table_file

    total = 0
    for table in schema.TABLES.values():
        path = table_file(folder, table)
        files = path.rglob("*.parquet") if path.is_dir() else [path]
        total += sum(f.stat().st_size for f in files if f.is_file())
    return total / 1e6


def _saved(size: int | str, seed: int) -> Path:
    return OUT / f"result-{size}-seed{seed}.pickle"


def save(r: SizeResult, seed: int) -> None:
    """Keep a size's results, so that a run of other sizes can still show its column."""
    _saved("bundled" if r.bundled else r.n, seed).write_bytes(pickle.dumps(r))


def kept(sizes: list[int | str], seed: int) -> list[SizeResult]:
    """The results kept from earlier runs of ``sizes`` (those that were never run: none)."""
    out = []
    for size in sizes:
        path = _saved(size, seed)
        if path.is_file():
            try:
                r = pickle.loads(path.read_bytes())
            except (pickle.UnpicklingError, AttributeError, EOFError, TypeError):
                log(f"cannot read the kept results of {size} ({path}): measure it again")
                continue
            for f in dataclasses.fields(SizeResult):  # kept by an older version of this code
                if not hasattr(r, f.name) and f.default_factory is not dataclasses.MISSING:
                    setattr(r, f.name, f.default_factory())
            out.append(r)
    return out
