"""The entry page as an official finds his way on it: counters, filters, the error banner, the submit warning,
the position kept after saving."""

import re

import pytest
from django.urls import reverse

from criteria.models import Submission

from .test_views import client_for, entry_url, post_values

pytestmark = pytest.mark.django_db


def test_counters_say_how_many_typed_indicators_have_a_value_per_rule_set_and_criterion(world):
    client = client_for(world["official"])
    post_values(client, world["commune"], {world["pct"]: ("90", "")})
    html = client.get(entry_url(world["commune"])).content.decode()
    # four typed indicators (the derived condition is not typed), one entered
    assert "đã nhập 1/4" in html
    # criterion 1 has two indicators, one entered; criterion 2 none
    index = html[html.index('class="entry-index"') :]
    assert re.search(r"Quy hoạch</a>\s*<span[^>]*>1/2</span>", index)
    assert re.search(r"Thu nhập</a>\s*<span[^>]*>0/2</span>", index)


def test_filters_keep_only_empty_unmet_or_returned_rows(world):
    client = client_for(world["official"])
    post_values(client, world["commune"], {world["pct"]: ("60", ""), world["yes"]: ("có", "")})
    ids = {name: f'id="row-v{world[name].pk}"' for name in ("pct", "yes", "count", "amount")}

    def rows(show):
        html = client.get(entry_url(world["commune"]) + f"?show={show}").content.decode()
        return {name for name, marker in ids.items() if marker in html}

    assert rows("") == {"pct", "yes", "count", "amount"}
    assert rows("empty") == {"count", "amount"}
    assert rows("unmet") == {"pct"}  # 60 % misses ≥ 80 %
    assert rows("returned") == set()
    assert rows("nonsense") == {"pct", "yes", "count", "amount"}  # an unknown filter shows everything
    html = client.get(entry_url(world["commune"]) + "?show=empty").content.decode()
    assert "Chỉ ô trống (2)" in html and "Chỉ chưa đạt (1)" in html


def test_a_returned_value_is_found_by_the_returned_filter(world):
    from entry import services

    client = client_for(world["official"])
    post_values(client, world["commune"], {world["pct"]: ("90", ""), world["yes"]: ("có", "")}, action="submit")
    services.submission_return(
        user=world["reviewer"], unit=world["commune"], period=world["period"], reason="Thiếu biên bản"
    )
    html = client.get(entry_url(world["commune"]) + "?show=returned").content.decode()
    assert f'id="row-v{world["pct"].pk}"' in html and f'id="row-v{world["count"].pk}"' not in html
    assert "Thiếu biên bản" in html


def test_the_error_banner_links_to_every_field_that_was_not_saved(world):
    client = client_for(world["official"])
    response = post_values(
        client, world["commune"], {world["pct"]: ("150", ""), world["count"]: ("ba", ""), world["amount"]: ("60", "")}
    )
    html = response.content.decode()
    banner = html[html.index('id="error-banner"') : html.index("</div>", html.index('id="error-banner"'))]
    assert "2 ô chưa được lưu" in banner
    assert f'href="#id_v{world["pct"].pk}-value"' in banner and f'href="#id_v{world["count"].pk}-value"' in banner
    assert f'href="#id_v{world["amount"].pk}-value"' not in banner  # that one was saved
    # each link leads to a field that is on the page, even when a filter would hide its row
    assert f'id="id_v{world["pct"].pk}-value"' in html and f'id="id_v{world["count"].pk}-value"' in html


def test_saving_returns_to_the_row_the_official_was_at_and_keeps_the_filter(world):
    client = client_for(world["official"])
    row = f"row-v{world['count'].pk}"
    response = client.post(
        entry_url(world["commune"]),
        {
            "action": "save",
            "at": row,
            "show": "empty",
            f"v{world['count'].pk}-value": "4",
            f"v{world['count'].pk}-version": 0,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == entry_url(world["commune"]) + f"?show=empty#{row}"
    # a made-up anchor is dropped, never echoed into the page address
    response = client.post(entry_url(world["commune"]), {"action": "save", "at": '"><script>'})
    assert response["Location"] == entry_url(world["commune"])


def test_submitting_with_empty_indicators_warns_and_asks_to_confirm(world):
    client = client_for(world["official"])
    response = post_values(client, world["commune"], {world["pct"]: ("90", "")}, action="submit", confirm=False)
    assert response.status_code == 302
    assert response["Location"] == entry_url(world["commune"]) + "?confirm=submit#submit-warning"
    assert not Submission.objects.filter(status=Submission.Status.SUBMITTED).exists()  # saved, not sent
    html = client.get(response["Location"]).content.decode()
    warning = html[html.index('id="submit-warning"') : html.index("</section>", html.index('id="submit-warning"'))]
    assert "Còn 3 chỉ tiêu chưa nhập" in warning and "trống 3/4" in warning and "1.2, 2.1, 2.2" in warning
    assert reverse("entry-submit", args=["71001", "2023"]) in warning
    # the same refusal through the submit endpoint itself
    submit = reverse("entry-submit", args=["71001", "2023"])
    assert client.post(submit)["Location"].endswith("?confirm=submit#submit-warning")
    assert not Submission.objects.filter(status=Submission.Status.SUBMITTED).exists()
    client.post(submit, {"confirm_empty": "1"})
    assert Submission.objects.get().status == Submission.Status.SUBMITTED


def test_a_complete_form_submits_without_the_warning(world):
    client = client_for(world["official"])
    values = {world[n]: (v, "") for n, v in (("pct", "90"), ("yes", "có"), ("count", "3"), ("amount", "55"))}
    response = post_values(client, world["commune"], values, action="submit", confirm=False)
    assert "confirm" not in response["Location"]
    assert Submission.objects.get().status == Submission.Status.SUBMITTED


def test_the_warning_is_not_offered_to_someone_who_may_not_enter(world):
    client = client_for(world["viewer"])
    assert client.get(entry_url(world["commune"]) + "?confirm=submit").status_code == 403
    assert client_for(world["outsider"]).get(entry_url(world["commune"]) + "?show=empty").status_code == 404


def test_skip_link_leads_to_the_first_value_and_badges_are_not_tab_stops(world):
    html = client_for(world["official"]).get(entry_url(world["commune"])).content.decode()
    assert f'class="skip-link" href="#id_v{world["pct"].pk}-value"' in html
    assert 'badge-unverified" tabindex' not in html and "chưa xác minh" in html
    # phone rows say what each cell holds
    assert 'data-label="Mức đạt"' in html and 'data-label="Kỳ trước"' in html
