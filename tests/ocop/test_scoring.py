"""The scoring sheet: parts' maxima, star bands at every boundary, and which decision applies on a date."""

import datetime as dt

import pytest

from ocop.models import ScoringScheme
from ocop.scoring import ScoringError, score, stars_for
from ocop.services import scheme_in_force, schemes_load, sheet_of

# The boundaries of the bands (research notes, read for 1048, not re-read for 148): each side of every edge.
BOUNDARIES = [
    (0, 1),
    (29, 1),
    (30, 2),
    (49, 2),
    (50, 3),
    (69, 3),
    (70, 4),
    (89, 4),
    (90, 5),
    (100, 5),
]


@pytest.fixture
def schemes(db):
    return {s.code: s for s in schemes_load()}


@pytest.fixture
def sheet_148(schemes):
    return sheet_of(schemes["148-2023"])


@pytest.mark.parametrize(("total", "stars"), BOUNDARIES)
def test_stars_at_each_band_edge(sheet_148, total, stars):
    assert stars_for(sheet_148, total) == stars


def test_every_total_from_0_to_100_has_exactly_one_star_count(sheet_148):
    counts = [stars_for(sheet_148, total) for total in range(101)]
    assert counts == [1] * 30 + [2] * 20 + [3] * 20 + [4] * 20 + [5] * 11


def test_148_parts_are_a40_b25_c35_and_1048_was_35_25_40(schemes):
    assert sheet_of(schemes["148-2023"]).parts == {"A": 40, "B": 25, "C": 35}
    assert sheet_of(schemes["1048-2019"]).parts == {"A": 35, "B": 25, "C": 40}


def test_148_bands_stay_marked_unverified(schemes):
    s148 = schemes["148-2023"]
    assert s148.parts_verified is True
    assert s148.bands_verified is False
    assert not any(b.verified for b in s148.bands.all())


def test_loading_twice_changes_nothing(schemes):
    schemes_load()
    assert ScoringScheme.objects.count() == 2


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (dt.date(2023, 2, 23), "1048-2019"),
        (dt.date(2023, 2, 24), "148-2023"),  # in force on signing
        (dt.date(2019, 8, 21), "1048-2019"),
    ],
)
def test_the_scheme_in_force_on_the_evaluation_date(schemes, day, code):
    assert scheme_in_force(day=day).code == code


def test_a_part_at_its_maximum_is_accepted_and_one_point_more_is_refused(sheet_148):
    assert score(sheet_148, {"A": 40, "B": 25, "C": 35}).stars == 5
    with pytest.raises(ScoringError) as refused:
        score(sheet_148, {"A": 41, "B": 25, "C": 34})
    assert refused.value.field == "A" and "0–40" in str(refused.value)


def test_the_1048_split_is_refused_under_148(sheet_148):
    # 40 in part C was the maximum under 1048; under 148 part C stops at 35.
    with pytest.raises(ScoringError) as refused:
        score(sheet_148, {"A": 30, "B": 20, "C": 40})
    assert refused.value.field == "C"


def test_typed_stars_must_match_the_points(sheet_148):
    assert score(sheet_148, {"A": 30, "B": 20, "C": 20}, typed_stars=4).stars == 4
    with pytest.raises(ScoringError) as refused:
        score(sheet_148, {"A": 30, "B": 20, "C": 19}, typed_stars=4)  # 69 points: 3 stars
    assert refused.value.field == "stars" and "69" in str(refused.value)


def test_items_add_up_to_their_part_and_must_agree_with_a_typed_part(sheet_148):
    result = score(sheet_148, {"B": 20, "C": 30}, items={"A": [10, 12, 8]})
    assert result.parts["A"] == 30 and result.total == 80 and result.stars == 4
    with pytest.raises(ScoringError) as refused:
        score(sheet_148, {"A": 31, "B": 20, "C": 30}, items={"A": [10, 12, 8]})
    assert refused.value.field == "A"


def test_a_missing_part_or_a_negative_score_is_refused(sheet_148):
    with pytest.raises(ScoringError):
        score(sheet_148, {"A": 30, "B": 20})
    with pytest.raises(ScoringError):
        score(sheet_148, {"A": -1, "B": 20, "C": 20})
    with pytest.raises(ScoringError):
        score(sheet_148, {"A": 1, "B": 2, "C": 3, "D": 4})
