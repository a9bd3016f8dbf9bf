"""The domain rules that the recompute and every page share, written once.

- **The ladder.** NTM → nâng cao → kiểu mẫu; "completed" (provinces, towns, cities) and "smart" (villages)
  stand on the first rung. A unit stands at the highest rung whose rule set its results attain, or at which
  it has been recognised, whichever is higher: a recognised tier is held until it is revoked.
- **Recognised on a day.** A decision counts from its date, and until (excluding) the day it was revoked.
- **Valid on a day.** A unit or a rule set with validity dates is valid from `valid_from` (included) to
  `valid_to` (excluded); no date means no bound.
- **Which report is the latest.** Reports are ordered by the day they end; of two that end on the same day,
  the one covering more of the year is the official one: the year report beats Q4, 9 months beats Q3,
  6 months beats Q2. (A unit reports at most once per end date, see `entry.services`.)
- **"So với đầu năm" (since the start of the year).** A result is compared with the unit's first earlier
  report of the same year; when the year has none before it, with the last report of the previous year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Protocol, TypeVar

from django.db.models import Q

from .models import Tier

# -------------------------------------------------------------------------------------------- the ladder

LADDER = (Tier.NTM, Tier.NANG_CAO, Tier.KIEU_MAU)
TIER_RANK = {Tier.NTM: 1, Tier.NANG_CAO: 2, Tier.KIEU_MAU: 3, Tier.COMPLETED: 1, Tier.SMART: 1}
# The buckets a count of "units by tier" shows, lowest first; "" is "no tier reached yet".
TIER_BUCKETS = ("", Tier.NTM, Tier.NANG_CAO, Tier.KIEU_MAU)


def tier_rank(tier: str | None) -> int:
    """0 for no tier, then the rung of the ladder."""
    return TIER_RANK.get(tier, 0) if tier else 0


def tier_bucket(tier: str | None) -> str:
    return TIER_BUCKETS[tier_rank(tier)]


def highest_tier(tiers: Iterable[str | None]) -> str | None:
    """The highest rung among the tiers (None for none); the first seen wins a tie."""
    best = None
    for tier in tiers:
        if tier_rank(tier) > tier_rank(best):
            best = tier
    return best


def held_tier(reached: str | None, recognised: str | None) -> str | None:
    """The tier a unit stands at: the higher of the one its results reach and the one it is recognised at."""
    return reached if tier_rank(reached) >= tier_rank(recognised) else recognised


def meets_tier(tier: str | None, wanted: str | None) -> bool:
    """Whether standing at `tier` counts as having reached `wanted` (a higher rung includes the lower)."""
    return tier_rank(wanted) > 0 and tier_rank(tier) >= tier_rank(wanted)


# --------------------------------------------------------------------------------- recognised / valid


class _Recognition(Protocol):
    decision_date: dt.date
    revoked_on: dt.date | None


class _Dated(Protocol):
    valid_from: dt.date | None
    valid_to: dt.date | None


def recognised_on(recognition: _Recognition, day: dt.date) -> bool:
    """Whether a recognition decision holds on a day: taken on or before it and not revoked by then."""
    return recognition.decision_date <= day and (recognition.revoked_on is None or recognition.revoked_on > day)


def recognised_on_filter(day: dt.date, prefix: str = "") -> Q:
    """`recognised_on` as a filter on Recognition (or on a relation to it, with `prefix` "recognitions__")."""
    return Q(**{f"{prefix}decision_date__lte": day}) & (
        Q(**{f"{prefix}revoked_on__isnull": True}) | Q(**{f"{prefix}revoked_on__gt": day})
    )


def valid_on(obj: _Dated, day: dt.date) -> bool:
    """Whether a unit or a rule set is valid on a day."""
    valid_from = getattr(obj, "valid_from", None)
    return (valid_from is None or valid_from <= day) and (obj.valid_to is None or obj.valid_to > day)


def valid_on_filter(day: dt.date, prefix: str = "") -> Q:
    """`valid_on` as a filter (on AdminUnit or RuleSet, or through a relation with `prefix` "unit__")."""
    return (Q(**{f"{prefix}valid_from__isnull": True}) | Q(**{f"{prefix}valid_from__lte": day})) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": day})
    )


# ------------------------------------------------------------------------------------------- periods


class _Period(Protocol):
    year: int
    start: dt.date
    end: dt.date


P = TypeVar("P", bound=_Period)

# The database order of reports, oldest first / latest first; `period_key` is the same order in Python.
PERIOD_ORDER = ("end", "-start")
PERIOD_ORDER_LATEST_FIRST = ("-end", "start")


def period_key(period: _Period) -> tuple:
    """Sort key of reports: by end day, then the longer report last (the year report beats Q4)."""
    return (period.end, -period.start.toordinal())


def latest_period(periods: Iterable[P]) -> P | None:
    """The latest report of several (None for none)."""
    return max(periods, key=period_key, default=None)


def latest_as_of(periods: Iterable[P], period: _Period) -> P | None:
    """The latest of the reports that are not later than `period` (`period` itself when it is among them)."""
    bound = period_key(period)
    return latest_period(p for p in periods if period_key(p) <= bound)


def baseline_period(periods: Iterable[P], period: _Period) -> P | None:
    """What "so với đầu năm" compares a report with (see the module's docstring); None when nothing is before."""
    bound = period_key(period)
    earlier = [p for p in periods if period_key(p) < bound]
    same_year = [p for p in earlier if p.year == period.year]
    if same_year:
        return min(same_year, key=period_key)
    before = [p for p in earlier if p.year < period.year]
    return max(before, key=period_key) if before else None
