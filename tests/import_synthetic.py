"""A synthetic GDELT 2.0 event export of any size, for the import speed test and measurement.

``python tests/import_synthetic.py FILE ROWS`` writes ROWS tab-separated records of 61 fields
(the 2.0 layout) to FILE. Values are drawn (seed 0) from real code lists: country and group
codes, CAMEO event codes with their Goldstein scores, a quarter of actors with no country.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from alliances.importers.gdelt import LAYOUTS

COUNTRIES = ["USA", "RUS", "UKR", "CHN", "PRK", "KOR", "JPN", "IRN", "ISR", "SYR", "GBR", "FRA",
             "DEU", "IND", "PAK", "TUR", "AFG", "IRQ", "EGY", "SAU", "BRA", "MEX", "NGA", "ZAF",
             "AFR", "EUR", ""]  # fmt: skip
ROLES = ["", "GOV", "MIL", "COP", "OPP", "BUS", "MED"]
CODES = [("010", 0.0), ("036", 4.0), ("042", 1.9), ("043", 2.8), ("046", 7.0), ("051", 3.4),
         ("057", 8.0), ("0231", 3.4), ("072", 8.3), ("112", -2.0), ("1383", -7.0),
         ("163", -8.0), ("173", -5.0), ("180", -9.0), ("190", -10.0), ("193", -10.0)]  # fmt: skip


def write(path: Path, rows: int, seed: int = 0, chunk: int = 100_000) -> Path:
    """Write ``rows`` synthetic GDELT 2.0 records to ``path``."""
    columns = LAYOUTS[61][1]
    at = {c: i for i, c in enumerate(columns)}
    rng = np.random.default_rng(seed)
    with path.open("w", encoding="utf-8", newline="") as fh:
        for first in range(0, rows, chunk):
            n = min(chunk, rows - first)
            table = np.full((n, len(columns)), "", dtype=object)
            table[:, at["GLOBALEVENTID"]] = np.arange(
                1_000_000_000 + first, 1_000_000_000 + first + n
            ).astype(str)
            days = np.datetime64("2015-02-18") + rng.integers(0, 3650, n).astype("timedelta64[D]")
            text = np.datetime_as_string(days).astype(object)
            table[:, at["SQLDATE"]] = [d.replace("-", "") for d in text]
            table[:, at["DATEADDED"]] = [d.replace("-", "") + "151500" for d in text]
            for side in (1, 2):
                country = rng.choice(COUNTRIES, n)
                role = rng.choice(ROLES, n)
                table[:, at[f"Actor{side}CountryCode"]] = country
                table[:, at[f"Actor{side}Code"]] = country.astype(object) + role.astype(object)
                table[:, at[f"Actor{side}Name"]] = country
            pick = rng.integers(0, len(CODES), n)
            table[:, at["EventCode"]] = [CODES[i][0] for i in pick]
            table[:, at["GoldsteinScale"]] = [str(CODES[i][1]) for i in pick]
            table[:, at["QuadClass"]] = "1"
            table[:, at["NumArticles"]] = rng.integers(1, 50, n).astype(str)
            table[:, at["NumSources"]] = "1"
            table[:, at["AvgTone"]] = np.round(rng.normal(0, 4, n), 2).astype(str)
            table[:, at["ActionGeo_FullName"]] = "Kyiv, Kyyiv, Misto, Ukraine"
            table[:, at["ActionGeo_Lat"]] = np.round(rng.uniform(-60, 70, n), 4).astype(str)
            table[:, at["ActionGeo_Long"]] = np.round(rng.uniform(-170, 170, n), 4).astype(str)
            table[:, at["SOURCEURL"]] = [
                f"https://www.example.org/news/{first + i}" for i in range(n)
            ]
            fh.write("\n".join("\t".join(r) for r in table.tolist()) + "\n")
    return path


if __name__ == "__main__":  # pragma: no cover
    write(Path(sys.argv[1]), int(sys.argv[2]))
