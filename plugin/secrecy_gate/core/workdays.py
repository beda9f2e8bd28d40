"""Working days (工作日) for the deadlines of 第十二条 and 条例第二十六条.

``chinesecalendar`` knows official holidays and adjusted working days
(调休上班) for the years it ships; ``reviews/calendar.yml`` adds years the
package does not know yet, from the State Council's notice::

    years:
      2027:
        holidays: [2027-01-01, ...]   # 法定节假日 falling on weekdays
        workdays: [2027-02-07, ...]   # 调休上班 falling on weekends

A date outside all known data is an error that says what to add, never a
silent guess.
"""

from __future__ import annotations

import bisect
import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path

import chinese_calendar

from . import frontmatter


class CalendarUnknown(ValueError):
    def __init__(self, day: _dt.date):
        self.day = day
        self.zh = (f"{day.year} 年的法定节假日与调休数据未知：请按国务院办公厅当年放假通知"
                   f"在 reviews/calendar.yml 中添加 years: {{{day.year}: {{holidays: [...], "
                   f"workdays: [...]}}}}")
        self.en = (f"holidays and adjusted working days of {day.year} are unknown: add them "
                   f"to reviews/calendar.yml (years: {{{day.year}: {{holidays: [...], "
                   f"workdays: [...]}}}}) from the State Council notice")
        super().__init__(self.en)


@dataclass
class Calendar:
    """Which days are working days, and how many lie between two dates.

    Deadlines are counted over years of history (a page written in 2019, a
    report run in 2026): counting day by day cost hundreds of thousands of
    calendar look-ups per ``status``.  Each year is therefore read once into a
    cumulative table (working days up to each day of the year), and a count or
    a due date is a subtraction or a bisection.  ``holidays``, ``workdays`` and
    ``years`` are read when a year is first needed: fill them before counting.
    """

    holidays: set[_dt.date] = field(default_factory=set)
    workdays: set[_dt.date] = field(default_factory=set)
    years: set[int] = field(default_factory=set)
    # year -> cumulative working days (index i: working days among the year's first i days),
    # or None for a year neither chinesecalendar nor the overrides know.
    _tables: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def is_workday(self, day: _dt.date) -> bool:
        if day.year in self.years:
            if day in self.workdays:
                return True
            if day in self.holidays:
                return False
            return day.weekday() < 5
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            raise CalendarUnknown(day) from None

    def _table(self, year: int) -> list[int] | None:
        """The cumulative table of ``year`` (None: the year is unknown)."""
        if year in self._tables:
            return self._tables[year]
        table: list[int] | None = [0]
        day, one = _dt.date(year, 1, 1), _dt.timedelta(days=1)
        try:
            while day.year == year:
                table.append(table[-1] + self.is_workday(day))
                day += one
        except CalendarUnknown:
            table = None  # chinesecalendar knows whole years or none
        self._tables[year] = table
        return table

    def _year_table(self, year: int, first_visited: _dt.date) -> list[int]:
        table = self._table(year)
        if table is None:
            raise CalendarUnknown(max(first_visited, _dt.date(year, 1, 1)))
        return table

    def add_workdays(self, start: _dt.date, n: int) -> _dt.date:
        """The n-th working day after ``start`` (the start day is not counted)."""
        if n <= 0:
            return start
        first = start + _dt.timedelta(days=1)
        year, offset, left = first.year, first.timetuple().tm_yday - 1, n
        while True:
            table = self._year_table(year, first)
            have = table[-1] - table[offset]
            if have >= left:
                # The smallest i with table[i] - table[offset] == left: the day of index i - 1.
                i = bisect.bisect_left(table, table[offset] + left, offset + 1)
                return _dt.date(year, 1, 1) + _dt.timedelta(days=i - 1)
            left -= have
            year, offset = year + 1, 0

    def workdays_between(self, start: _dt.date, end: _dt.date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        if end <= start:
            return 0
        first = start + _dt.timedelta(days=1)
        count = 0
        for year in range(first.year, end.year + 1):
            table = self._year_table(year, first)
            lo = first.timetuple().tm_yday - 1 if year == first.year else 0
            hi = end.timetuple().tm_yday if year == end.year else len(table) - 1
            count += table[hi] - table[lo]
        return count


def load_calendar(path: Path | None) -> Calendar:
    cal = Calendar()
    if path is None or not path.exists():
        return cal
    data = frontmatter.load_yaml(frontmatter.decode(path.read_bytes()), "日历", "the calendar")
    years = (data or {}).get("years") or {}
    if not isinstance(years, dict):
        raise ValueError(f"{path}: `years` must map a year to holidays and workdays")
    for year, spec in years.items():
        cal.years.add(int(year))
        for key, target in (("holidays", cal.holidays), ("workdays", cal.workdays)):
            for d in (spec or {}).get(key) or []:
                if not isinstance(d, _dt.date):
                    raise ValueError(f"{path}: {year}.{key}: {d!r} is not a date")
                target.add(d)
    return cal


def as_date(value) -> _dt.date | None:
    """A YAML date or an ISO string as a date; None for anything else."""
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None
