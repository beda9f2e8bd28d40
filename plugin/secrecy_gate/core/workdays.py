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
    holidays: set[_dt.date] = field(default_factory=set)
    workdays: set[_dt.date] = field(default_factory=set)
    years: set[int] = field(default_factory=set)

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

    def add_workdays(self, start: _dt.date, n: int) -> _dt.date:
        """The n-th working day after ``start`` (the start day is not counted)."""
        day, left = start, n
        while left > 0:
            day += _dt.timedelta(days=1)
            if self.is_workday(day):
                left -= 1
        return day

    def workdays_between(self, start: _dt.date, end: _dt.date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, day = 0, start
        while day < end:
            day += _dt.timedelta(days=1)
            if self.is_workday(day):
                count += 1
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
