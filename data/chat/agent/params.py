"""Parameters pulled out of a question: grid ids, a date range, a threshold, a customer name.

Relative dates ("yesterday", "this month") resolve against the data's clock (the time of the
latest real-time grid status), so a demo dataset generated for another day still answers them.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

# Most specific first: a circuit id contains its substation id.
_IDS: list[tuple[str, re.Pattern[str]]] = [
    ("circuit_id", re.compile(r"\bSUB-\d+-C\d+\b", re.I)),
    ("substation_id", re.compile(r"\bSUB-\d+\b(?!-C)", re.I)),
    ("transformer_id", re.compile(r"\bXFMR-[A-Z0-9]+(?:-[A-Z0-9]+)*\b", re.I)),
    ("crew_id", re.compile(r"\bCREW-[A-Z0-9]+\b", re.I)),
    ("customer_id", re.compile(r"\bCUST-[A-Z0-9]+\b", re.I)),
    ("meter_id", re.compile(r"\bMTR-[A-Z0-9]+\b", re.I)),
]

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name and name.lower() != "may"})

_THRESHOLD = re.compile(
    r"(?:over|above|more than|greater than|exceed(?:s|ing)?|beyond|higher than|at least|>=?)\s*"
    r"(\d+(?:\.\d+)?)\s*(%|percent|pct|mph)?",
    re.I,
)
# "serve more than 500 customers": a customer count, never a loading threshold.
_MIN_CUSTOMERS = re.compile(
    r"(?:more than|over|above|greater than|at least|exceed(?:s|ing)?|>=?)\s*(\d[\d,]*)\s*(?:customers|accounts|homes|premises)\b",
    re.I,
)
_BARE_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|percent)", re.I)
_LAST_N_DAYS = re.compile(r"\b(?:last|past)\s+(\d{1,3})\s+days?\b", re.I)
_MONTH_YEAR = re.compile(r"\b(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?(?:\s+(\d{4}))?", re.I)
_YEAR = re.compile(r"\b(?:in|during|for)\s+(20\d\d)\b", re.I)

# Words that start a request, never a name.
_NOT_NAMES = frozenset(
    "show list find what which how who where when give get tell compare display the for of customer customers "
    "outage outages history account meter please and with at on in is are was".split()
)
_NAME = re.compile(r"\b([A-Z][a-z'\-]*\.?(?:\s+[A-Z][a-z'\-]*\.?){1,3})")


@dataclass(frozen=True)
class DateRange:
    start: datetime  # inclusive
    end: datetime  # exclusive
    label: str


@dataclass
class Params:
    ids: dict[str, str] = field(default_factory=dict)
    date_range: DateRange | None = None
    threshold: float | None = None
    customer_name: str | None = None
    min_customers: int | None = None

    def is_empty(self) -> bool:
        return not (self.ids or self.date_range or self.threshold is not None or self.customer_name
                    or self.min_customers is not None)


def extract(question: str, now: datetime) -> Params:
    p = Params()
    rest = question
    for name, pattern in _IDS:
        m = pattern.search(rest)
        if m:
            p.ids[name] = m.group(0).upper()
            rest = rest[: m.start()] + " " + rest[m.end():]
    m = _MIN_CUSTOMERS.search(rest)
    if m:
        p.min_customers = int(m.group(1).replace(",", ""))
        rest = rest[: m.start()] + " " + rest[m.end():]
    p.date_range = date_range(rest, now)
    p.threshold = threshold(rest)
    p.customer_name = customer_name(rest)
    return p


def threshold(text: str) -> float | None:
    m = _THRESHOLD.search(text) or _BARE_PERCENT.search(text)
    return float(m.group(1)) if m else None


def _day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)


def _month_range(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1)
    end = datetime(year + (month == 12), month % 12 + 1, 1)
    return start, end


def date_range(text: str, now: datetime) -> DateRange | None:
    t = text.lower()
    today = _day(now.date())
    if "yesterday" in t:
        start = today - timedelta(days=1)
        return DateRange(start, today, f"yesterday ({start:%Y-%m-%d})")
    if re.search(r"\btoday\b", t):
        return DateRange(today, today + timedelta(days=1), f"today ({today:%Y-%m-%d})")
    m = _LAST_N_DAYS.search(t)
    if m:
        n = max(1, int(m.group(1)))
        return DateRange(today - timedelta(days=n), today, f"the last {n} days")
    if re.search(r"\blast week\b|\bpast week\b|\bprevious week\b", t):
        this_monday = today - timedelta(days=today.weekday())
        start = this_monday - timedelta(days=7)
        return DateRange(start, this_monday, f"last week ({start:%b %d}-{this_monday - timedelta(days=1):%b %d})")
    if re.search(r"\bthis week\b", t):
        start = today - timedelta(days=today.weekday())
        return DateRange(start, today + timedelta(days=1), f"this week (since {start:%b %d})")
    if re.search(r"\bthis month\b|\bmonth to date\b|\bmtd\b", t):
        start, _ = _month_range(today.year, today.month)
        return DateRange(start, today + timedelta(days=1), f"this month ({start:%B %Y})")
    if re.search(r"\blast month\b|\bprevious month\b", t):
        first = datetime(today.year, today.month, 1)
        prev = first - timedelta(days=1)
        start, end = _month_range(prev.year, prev.month)
        return DateRange(start, end, f"last month ({start:%B %Y})")
    m = _MONTH_YEAR.search(text)
    if m:
        month = _MONTHS[m.group(1).lower()]
        if m.group(2):
            year = int(m.group(2))
        else:  # the latest such month that has begun
            year = today.year if month <= today.month else today.year - 1
        start, end = _month_range(year, month)
        return DateRange(start, end, f"{start:%B %Y}")
    m = _YEAR.search(text)
    if m:
        y = int(m.group(1))
        return DateRange(datetime(y, 1, 1), datetime(y + 1, 1, 1), str(y))
    return None


def customer_name(text: str) -> str | None:
    """A run of capitalised words that is not a request word: "outage history for Maria Garcia"."""
    for m in _NAME.finditer(text):
        words = [w for w in m.group(1).split() if w.lower() not in _NOT_NAMES and w.lower() not in _MONTHS]
        if len(words) >= 2 and any(len(w.rstrip(".")) > 1 for w in words):
            return " ".join(words)
    m = re.search(r"\bcustomer\s+([A-Za-z][\w'\-]+(?:\s+[A-Za-z][\w'\-]+)?)", text)
    if m:
        words = [w for w in m.group(1).split() if w.lower() not in _NOT_NAMES]
        if words:
            return " ".join(words)
    return None
