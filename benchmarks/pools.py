"""What the synthetic data is drawn from: real actors and pairs, words, places, sentences,
and the helpers that draw from them and write dates as text (``synthetic`` uses them)."""

from __future__ import annotations

import numpy as np

REAL_ACTORS = (
    ("RUS", "Russia", "Europe", "Russian Federation;USSR", 643, 365),
    ("PRK", "North Korea", "East Asia", "DPRK", 408, 731),
    ("CHN", "China", "East Asia", "PRC", 156, 710),
    ("USA", "United States", "North America", "US", 840, 2),
    ("KOR", "South Korea", "East Asia", "ROK", 410, 732),
    ("JPN", "Japan", "East Asia", "", 392, 740),
    ("UKR", "Ukraine", "Europe", "", 804, 369),
)
# The busiest pairs, in order, with their stance (+1 aligned, 0 neutral, -1 adversarial).
REAL_PAIRS = (
    ("RUS", "UKR", -1),
    ("PRK", "KOR", -1),
    ("RUS", "PRK", 1),
    ("USA", "CHN", -1),
    ("USA", "KOR", 1),
    ("USA", "JPN", 1),
    ("CHN", "PRK", 1),
    ("JPN", "PRK", -1),
    ("RUS", "CHN", 1),
    ("USA", "RUS", -1),
)
REGIONS = (
    "East Asia", "Southeast Asia", "Europe", "North America", "Middle East",
    "Central Asia", "South Asia", "Oceania", "Global",
)  # fmt: skip
KINDS = ("state", "organization", "bloc", "non_state")
KIND_WEIGHTS = (0.8, 0.1, 0.04, 0.06)
CONFIDENCE = ("confirmed", "reported", "estimated", "disputed")
CONFIDENCE_WEIGHTS = (0.55, 0.3, 0.1, 0.05)
COOPERATIVE = (
    "summit", "visit", "treaty", "declaration", "endorsement",
    "military_cooperation", "arms_transfer", "aid", "statement", "treaty_status",
)  # fmt: skip
CONFLICTUAL = ("statement", "threat", "veto", "sanctions", "weapons_test", "military_action")
UNITS = ("USD", "EUR", "troops", "containers", "tanks", "artillery shells per day", "aircraft")
OUTLETS = (
    "Reuters", "Associated Press", "Agence France-Presse", "Yonhap", "TASS", "Xinhua",
    "Kyodo", "Ukrinform", "UN press release", "Ministry of Foreign Affairs statement",
    "The Diplomat", "Financial Times", "NK News", "Arms Control Association",
)  # fmt: skip
DOMAINS = ("news.example.org", "wire.example.com", "archive.example.net", "gov.example.int")
PLACES = ("Moscow", "Pyongyang", "Seoul", "Beijing", "Washington", "Tokyo", "Kyiv", "Geneva",
          "New York", "Vladivostok", "Panmunjom", "Brussels", "Singapore", "Vienna")  # fmt: skip
SYLLABLES = (
    "ar", "bel", "cor", "dan", "el", "for", "gal", "hes", "ist", "jor", "kal", "lor",
    "mar", "nov", "or", "pel", "quin", "ros", "sar", "tor", "ul", "var", "wes", "zan",
)  # fmt: skip
SENTENCES = (
    "Officials of both sides confirmed the meeting, which had been announced two days earlier.",
    "The statement followed weeks of talks; its text was published by the foreign ministry.",
    'State media called it "a new stage" in relations, a phrase not used since the 1990s.',
    "Figures are those given by the source; other outlets reported lower numbers.",
    "Analysts read it as a response to the sanctions announced the month before.",
    "The exact day is not reported; the source dates it to the month.",
    "Satellite imagery analysed by independent researchers supports the account.",
    "The agreement covers trade, energy and, for the first time, defence cooperation.",
    "Both governments denied the report, which cites two officials speaking anonymously.",
    "Observers noted that the delegation included the chief of the general staff.",
    "The UN panel of experts mentioned the incident in its annual report.",
    "It was the third such test this year, and the first from a submarine.",
)


def choice(rng: np.random.Generator, options, size: int, weights=None) -> np.ndarray:
    options = np.asarray(options, dtype=object)
    p = None if weights is None else np.asarray(weights, float) / np.sum(weights)
    return options[rng.choice(len(options), size=size, p=p)]


def texts(days: np.ndarray, width: int) -> np.ndarray:
    """Days as ISO text cut to ``width`` characters, via a table of the days in range."""
    days = days.astype("datetime64[D]")
    if not len(days):
        return np.empty(0, dtype=object)
    first, last = days.min(), days.max()
    table = np.datetime_as_string(np.arange(first, last + np.timedelta64(1, "D")), unit="D")
    table = np.array([t[:width] for t in table], dtype=object)
    return table[(days - first).astype(np.int64)]


def day_strings(days: np.ndarray) -> np.ndarray:
    return texts(days, 10)


def partial_dates(days: np.ndarray, precision: np.ndarray) -> np.ndarray:
    """Dates as text at each row's precision (0 year, 1 month, 2 day)."""
    out = texts(days, 10)
    out[precision == 1] = texts(days[precision == 1], 7)
    out[precision == 0] = texts(days[precision == 0], 4)
    return out


def invented_names(rng: np.random.Generator, n: int) -> list[str]:
    seen: set[str] = set()
    names = []
    while len(names) < n:
        k = int(rng.integers(2, 4))
        name = "".join(rng.choice(SYLLABLES, size=k)).capitalize()
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names
