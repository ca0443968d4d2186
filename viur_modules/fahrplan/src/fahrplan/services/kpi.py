"""
The on-track rating of a KPI (Kontrollgröße), by one documented method.

Method ("linear path"): a KPI is expected to move in a straight line from its baseline (value, date) to
its target (value, date). For the latest reading we compare how much of the way the value has covered
(*achieved share*) with how much of the time has passed (*expected share*, clamped to 0–100 %):

- **achieved**: the latest value reaches or passes the target (in the KPI's direction);
- **on track**: achieved share ≥ expected share − 5 points;
- **at risk**: achieved share ≥ expected share − 20 points;
- **off track**: below that, or the target date has passed without reaching the target;
- **no data**: no reading yet.

Every rating comes with one sentence a citizen understands.

Ratings age: the same reading is rated off track once the target date has passed (from the day after it).
:func:`rating_changes_on` names the day on which time alone changes a rating, so that the ratings shown are
computed for today and the stored ones (which the admin's filtered views query) are re-rated on that day only.
"""

import dataclasses
import datetime
import typing as t

from ..types import KpiDirection, Rating

TOLERANCE_ON_TRACK = 0.05
TOLERANCE_AT_RISK = 0.20


@dataclasses.dataclass(frozen=True)
class Assessment:
    rating: Rating
    explanation: str
    achieved_share: float | None = None
    expected_share: float | None = None


def _fmt(value: float, unit: str) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".").replace(",", "X").replace(".", ",").replace("X", ".")
    return f"{text} {unit}".strip() if unit not in ("%",) else f"{text} %"


def _date(value: datetime.date) -> str:
    return value.strftime("%d.%m.%Y")


def assess(
    *,
    direction: KpiDirection | str,
    baseline_value: float,
    baseline_date: datetime.date,
    target_value: float,
    target_date: datetime.date,
    latest: tuple[datetime.date, float] | None,
    unit: str = "",
    today: datetime.date | None = None,
) -> Assessment:
    """Rate a KPI by the linear-path method (see the module docstring)."""
    direction = KpiDirection(direction)
    if latest is None:
        return Assessment(Rating.NO_DATA, "Für diese Kontrollgröße liegt noch kein Messwert vor.")
    when, value = latest
    span = target_value - baseline_value
    achieved_share = (value - baseline_value) / span if span else 0.0
    reached = value >= target_value if direction is KpiDirection.HIGHER else value <= target_value
    head = f"Der letzte Wert ({_fmt(value, unit)} am {_date(when)})"
    if reached:
        return Assessment(
            Rating.ACHIEVED,
            f"{head} erreicht das Ziel von {_fmt(target_value, unit)}.",
            achieved_share,
            1.0,
        )
    total_days = (target_date - baseline_date).days
    expected_share = min(1.0, max(0.0, (when - baseline_date).days / total_days)) if total_days > 0 else 1.0
    path = (
        f"{head} hat {round(achieved_share * 100)} % des Wegs vom Ausgangswert {_fmt(baseline_value, unit)} "
        f"zum Ziel {_fmt(target_value, unit)} (bis {_date(target_date)}) zurückgelegt; "
        f"nach der verstrichenen Zeit wären {round(expected_share * 100)} % zu erwarten"
    )
    if when >= target_date or (today is not None and today > target_date):
        return Assessment(
            Rating.OFF_TRACK,
            f"{head} hat das Ziel von {_fmt(target_value, unit)} zum {_date(target_date)} nicht erreicht.",
            achieved_share,
            expected_share,
        )
    behind = round(expected_share - achieved_share, 9)  # drop float noise before comparing with the tolerances
    if behind <= TOLERANCE_ON_TRACK:
        rating, verdict = Rating.ON_TRACK, "die Kontrollgröße ist auf Kurs."
    elif behind <= TOLERANCE_AT_RISK:
        rating, verdict = Rating.AT_RISK, "das Ziel ist gefährdet."
    else:
        rating, verdict = Rating.OFF_TRACK, "die Kontrollgröße ist nicht auf Kurs."
    return Assessment(rating, f"{path} – {verdict}", achieved_share, expected_share)


def rating_changes_on(
    *,
    direction: KpiDirection | str,
    baseline_value: float,
    baseline_date: datetime.date,
    target_value: float,
    target_date: datetime.date,
    latest: tuple[datetime.date, float] | None,
    unit: str = "",
    today: datetime.date,
) -> datetime.date | None:
    """
    The first day after ``today`` on which the rating (or its sentence) differs from today's without a new
    reading, or None when no day will: by the method only the passing of the target date changes it, on the day
    after the target date, for a KPI with a reading that has not reached the target before that date.
    """
    day_after = target_date + datetime.timedelta(days=1)
    if day_after <= today:
        return None
    values = {
        "direction": direction,
        "baseline_value": baseline_value,
        "baseline_date": baseline_date,
        "target_value": target_value,
        "target_date": target_date,
        "latest": latest,
        "unit": unit,
    }
    return day_after if assess(**values, today=day_after) != assess(**values, today=today) else None


def insert_reading(series: list[list], date: datetime.date, value: float, ident: str) -> list[list]:
    """``series`` (``[[iso date, value, id], …]`` sorted by date) with the reading added or replaced."""
    rest = [row for row in series if row[2] != ident]
    rest.append([date.isoformat(), float(value), ident])
    rest.sort(key=lambda row: (row[0], row[2]))
    return rest


def remove_reading(series: list[list], ident: str) -> list[list]:
    """``series`` without the reading ``ident``."""
    return [row for row in series if row[2] != ident]


def latest(series: t.Sequence[t.Sequence]) -> tuple[datetime.date, float] | None:
    """The newest reading of a series, or None."""
    if not series:
        return None
    date, value, *_ = series[-1]
    return datetime.date.fromisoformat(date), float(value)
