"""Working-day arithmetic by cumulative tables gives exactly the day-by-day count.

The reference is the implementation the tables replaced (one calendar look-up per
day), kept here as the definition: the n-th working day after a date, and the
working days after one date up to another, with the real chinesecalendar data
(official holidays and 调休 makeup working days) and with reviews/calendar.yml
overrides, including a year nobody knows (an error naming the first day counted).
"""

from __future__ import annotations

import datetime as _dt

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secrecy_gate.core.workdays import Calendar, CalendarUnknown, load_calendar

D = _dt.date
ONE = _dt.timedelta(days=1)


def ref_add(cal: Calendar, start: _dt.date, n: int) -> _dt.date:
    day, left = start, n
    while left > 0:
        day += ONE
        if cal.is_workday(day):
            left -= 1
    return day


def ref_between(cal: Calendar, start: _dt.date, end: _dt.date) -> int:
    count, day = 0, start
    while day < end:
        day += ONE
        if cal.is_workday(day):
            count += 1
    return count


def outcome(fn, *args):
    """The value, or the day a CalendarUnknown names: both must agree."""
    try:
        return ("ok", fn(*args))
    except CalendarUnknown as exc:
        return ("unknown", exc.day)


OVERRIDES = """\
years:
  2027:
    holidays: [2027-01-01, 2027-02-11, 2027-02-12, 2027-02-15, 2027-02-16, 2027-02-17]
    workdays: [2027-02-07, 2027-02-20]
  2029:
    holidays: [2029-01-01]
    workdays: []
"""


@pytest.fixture(scope="module")
def calendars(tmp_path_factory):
    path = tmp_path_factory.mktemp("cal") / "calendar.yml"
    path.write_text(OVERRIDES, encoding="utf-8")
    return {"plain": Calendar(), "overrides": load_calendar(path)}


LAST = max(chinese_calendar.constants.holidays).year


def test_every_start_date_of_the_known_years_and_every_deadline_length(calendars):
    """Exhaustive: each day from 2023-12 to the end of the data: the 5th and 20th working day
    after it, and the working days in the 30 days that follow it."""
    for cal in calendars.values():
        fresh = Calendar(cal.holidays, cal.workdays, cal.years)  # the reference reads day by day
        day = D(2023, 12, 1)
        while day.year <= LAST:
            for n in (5, 20):
                assert outcome(cal.add_workdays, day, n) == outcome(ref_add, fresh, day, n), (day, n)
            end = day + _dt.timedelta(days=30)
            assert outcome(cal.workdays_between, day, end) == outcome(ref_between, fresh, day, end), day
            day += ONE


def test_makeup_workdays_and_holidays_are_counted_as_the_official_calendar_says():
    cal = Calendar()
    # 2026-10-10 (a Saturday) is an adjusted working day; 10-01..10-07 are off.
    assert D(2026, 10, 10).weekday() == 5 and cal.workdays_between(D(2026, 10, 9), D(2026, 10, 10)) == 1
    assert cal.workdays_between(D(2026, 9, 30), D(2026, 10, 7)) == 0
    assert cal.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert cal.add_workdays(D(2026, 10, 9), 1) == D(2026, 10, 10)
    # 2026-02-14 (a Saturday) is worked before the Spring Festival; 02-15..02-23 are off.
    assert cal.add_workdays(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert cal.add_workdays(D(2026, 2, 14), 1) == D(2026, 2, 24)
    # Whole years: 2019–2025 by the tables and day by day.
    assert cal.workdays_between(D(2018, 12, 31), D(2025, 12, 31)) == ref_between(
        Calendar(), D(2018, 12, 31), D(2025, 12, 31))


dates = st.dates(min_value=D(2003, 6, 1), max_value=D(2030, 6, 30))


@settings(max_examples=250, deadline=None)
@given(start=dates, span=st.integers(min_value=-40, max_value=1200), n=st.integers(min_value=-2, max_value=400))
def test_tables_agree_with_counting_day_by_day(calendars, start, span, n):
    """Any two dates from before the data to after the overrides, both calendars: the same
    counts, the same due dates, and the same unknown day where a year is not known."""
    for cal in calendars.values():
        fresh = Calendar(cal.holidays, cal.workdays, cal.years)
        end = start + _dt.timedelta(days=span)
        assert outcome(cal.workdays_between, start, end) == outcome(ref_between, fresh, start, end)
        assert outcome(cal.add_workdays, start, n) == outcome(ref_add, fresh, start, n)


def test_an_unknown_year_between_two_known_ones_names_its_first_day(calendars):
    cal = calendars["overrides"]  # 2027 and 2029 overridden, 2028 unknown
    assert cal.workdays_between(D(2026, 12, 31), D(2027, 12, 31)) == ref_between(
        calendars["overrides"], D(2026, 12, 31), D(2027, 12, 31))
    with pytest.raises(CalendarUnknown) as exc:
        cal.workdays_between(D(2027, 12, 1), D(2029, 3, 1))
    assert exc.value.day == D(2028, 1, 1) and "2028" in exc.value.zh
    with pytest.raises(CalendarUnknown) as exc:
        cal.add_workdays(D(2028, 5, 5), 3)
    assert exc.value.day == D(2028, 5, 6)
    assert cal.add_workdays(D(2029, 1, 1), 1) == D(2029, 1, 2)


def test_years_of_counting_cost_one_table_per_year(monkeypatch):
    """The reason for the tables: a 2019 date counted to 2026 reads each day once, not per call."""
    calls = []
    real = chinese_calendar.is_workday
    monkeypatch.setattr(chinese_calendar, "is_workday", lambda d: calls.append(d) or real(d))
    cal = Calendar()
    for _ in range(200):
        cal.workdays_between(D(2019, 1, 30), D(2026, 11, 30))
        cal.add_workdays(D(2019, 1, 2), 20)
    assert len(calls) == sum(366 if y % 4 == 0 else 365 for y in range(2019, 2027))
