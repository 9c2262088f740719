"""Importing the field's public datasets into the public format: ``alliances import`` and the
``alliances.import_*`` functions. A data-layer package: no Panel import.

One module per source reads its publisher's files (every published layout) into rows of the
public format; :mod:`.pipeline` keeps the slice asked for and drops what is already there;
:mod:`.writer` writes the folder (to a temporary folder, checked, then moved into place);
:mod:`.actors` maps codes and names to actors with the shipped crosswalk; :mod:`.types` maps
CAMEO codes and the sources' own categories to event and relation types.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from types import ModuleType

from ..dataset import Dataset
from .pipeline import ImportResult, Options, run
from .report import ImportFailed, Report

SOURCES = ("gdelt", "acled", "ucdp", "atop", "cow", "sipri")
"""The sources ``alliances import`` reads, each a module of this package."""

__all__ = [
    "SOURCES",
    "ImportFailed",
    "ImportResult",
    "Options",
    "Report",
    "import_acled",
    "import_atop",
    "import_cow",
    "import_files",
    "import_gdelt",
    "import_sipri",
    "import_ucdp",
    "reader",
]


def reader(source: str) -> ModuleType:
    """The module that reads ``source``'s files."""
    if source not in SOURCES:
        raise ImportFailed(
            f"unknown source {source!r}: use one of {', '.join(SOURCES)}", usage=True
        )
    return import_module(f".{source}", __name__)


def import_files(
    source: str,
    files: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str] | None = None,
    **options: object,
) -> ImportResult:
    """Import ``files`` of ``source`` into the dataset folder ``output`` (a new temporary
    folder if None) and load it: the result holds the report and the dataset.

    ``options`` are those of :class:`Options`: ``merge``, ``format``, ``actors_map``,
    ``start``, ``end``, ``actors``. Raises :class:`ImportFailed` for files that cannot be
    imported; nothing is written then.
    """
    if isinstance(files, str | os.PathLike):
        files = [files]
    if output is None:
        output = Path(tempfile.mkdtemp(prefix=f"alliances-{source}-")) / "data"
    for key in ("merge", "actors_map"):
        if options.get(key) is not None:
            options[key] = Path(str(options[key]))
    return run(reader(source), files, output, Options(**options), load=True)  # type: ignore[arg-type]


def _importer(source: str):
    def import_source(
        files: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        output: str | os.PathLike[str] | None = None,
        **options: object,
    ) -> Dataset:
        result = import_files(source, files, output, **options)  # type: ignore[arg-type]
        assert result.dataset is not None
        return result.dataset

    import_source.__name__ = import_source.__qualname__ = f"import_{source}"
    import_source.__doc__ = (
        f"Import {source.upper()} files into a dataset folder and return the loaded Dataset.\n\n"
        "``output``: the folder to write (default: a new temporary folder); ``options``: "
        "``merge``, ``format``, ``actors_map``, ``start``, ``end``, ``actors`` as for "
        f"``alliances import {source}``. Use :func:`import_files` for the report too."
    )
    return import_source


import_gdelt = _importer("gdelt")
import_acled = _importer("acled")
import_ucdp = _importer("ucdp")
import_atop = _importer("atop")
import_cow = _importer("cow")
import_sipri = _importer("sipri")
