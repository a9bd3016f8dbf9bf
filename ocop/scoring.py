"""The scoring sheet as pure functions: points per part → total → stars, by the bands of one scheme.

No ORM here, so the thresholds are tested exhaustively without a database (tests/ocop/test_scoring.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _


class ScoringError(ValueError):
    """A score the scheme refuses; `field` names the part (or "stars") so a form can show it beside it."""

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Band:
    stars: int
    points_min: int
    points_max: int


@dataclass(frozen=True)
class Sheet:
    """What the scheme needs to score: each part's maximum and the star bands."""

    parts: Mapping[str, int]  # part code → maximum points
    bands: Sequence[Band]

    @property
    def max_points(self) -> int:
        return sum(self.parts.values())


@dataclass(frozen=True)
class Score:
    parts: dict[str, int]
    total: int
    stars: int


def stars_for(sheet: Sheet, total: int) -> int:
    for band in sheet.bands:
        if band.points_min <= total <= band.points_max:
            return band.stars
    raise ScoringError(
        _("%(total)d điểm không thuộc mức sao nào của bộ tiêu chí (0–%(max)d).")
        % {"total": total, "max": sheet.max_points},
        field="stars",
    )


def score(
    sheet: Sheet,
    parts: Mapping[str, int],
    *,
    items: Mapping[str, Sequence[int]] | None = None,
    typed_stars: int | None = None,
) -> Score:
    """Add the parts and assign the stars. Where items are given for a part, the part is their sum (and must agree
    with a part total typed beside them). A typed star count is only checked, never used."""
    items = items or {}
    unknown = sorted(set(parts) - set(sheet.parts)) + sorted(set(items) - set(sheet.parts))
    if unknown:
        raise ScoringError(_("Bộ tiêu chí không có phần %(parts)s.") % {"parts": ", ".join(unknown)}, field=unknown[0])
    scored: dict[str, int] = {}
    for code, maximum in sheet.parts.items():
        given = parts.get(code)
        if code in items:
            item_points = list(items[code])
            if any(p < 0 for p in item_points):
                raise ScoringError(_("Điểm từng mục phải từ 0 trở lên."), field=code)
            summed = sum(item_points)
            if given is not None and given != summed:
                raise ScoringError(
                    _("Phần %(part)s ghi %(given)d điểm nhưng các mục cộng lại %(summed)d điểm.")
                    % {"part": code, "given": given, "summed": summed},
                    field=code,
                )
            given = summed
        if given is None:
            raise ScoringError(_("Thiếu điểm phần %(part)s.") % {"part": code}, field=code)
        if given < 0 or given > maximum:
            raise ScoringError(
                _("Phần %(part)s: %(points)d điểm, ngoài khoảng 0–%(max)d của phần này.")
                % {"part": code, "points": given, "max": maximum},
                field=code,
            )
        scored[code] = given
    total = sum(scored.values())
    stars = stars_for(sheet, total)
    if typed_stars is not None and typed_stars != stars:
        raise ScoringError(
            _("Số sao ghi là %(typed)d nhưng %(total)d điểm ứng với %(stars)d sao.")
            % {"typed": typed_stars, "total": total, "stars": stars},
            field="stars",
        )
    return Score(parts=scored, total=total, stars=stars)
