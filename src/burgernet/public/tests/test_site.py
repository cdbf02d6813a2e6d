"""The public site: what the public may see, and what it may not."""

from __future__ import annotations

import pytest
from django.urls import reverse

from burgernet.actions.models import Action
from burgernet.geo.models import Region, RegionKind

pytestmark = pytest.mark.django_db


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_active_and_published_actions_are_public_drafts_and_exercises_are_not(
    client, actions
) -> None:
    active = actions.active(title="Vermiste jongen Amsterdam")
    published = actions.published(title="Gevonden vrouw")
    draft = actions.draft(title="Geheim concept")
    exercise = actions.active(title="Oefening Noord", exercise=True)

    listing = _page(client, reverse("public:actions"))
    assert "Vermiste jongen Amsterdam" in listing
    assert "Geheim concept" not in listing and "Oefening Noord" not in listing
    home = _page(client, reverse("public:home"))
    assert "Vermiste jongen Amsterdam" in home and "Oefening Noord" not in home

    page = _page(client, reverse("public:action", args=[active.pk]))
    assert "Jongen, 8 jaar, blauwe pet" in page
    assert "Bel gratis 0800-0011" in page
    page = _page(client, reverse("public:action", args=[published.pk]))
    assert "Het kind is dankzij een tip gevonden." in page
    assert "gevonden" in page.lower() and "Bel gratis 0800-0011" not in page

    for hidden in (draft, exercise):
        assert client.get(reverse("public:action", args=[hidden.pk])).status_code == 404
    api = client.get(reverse("public:api_actions")).json()["actions"]
    assert [a["id"] for a in api] == [active.pk]


def test_photo_is_shown_while_allowed_and_hidden_once_withdrawn(client, actions) -> None:
    action = actions.active(type="missing_elderly", title="Vermiste man")
    Action.objects.filter(pk=action.pk).update(photo="actions/man.jpg")
    page = _page(client, reverse("public:action", args=[action.pk]))
    assert 'src="/media/actions/man.jpg"' in page
    assert 'property="og:image" content="http://127.0.0.1:8000/media/actions/man.jpg"' in page

    from django.core.cache import cache

    from burgernet.actions import services

    services.action_close(action=action, by=actions.user, outcome="found")
    services.action_publish(action=action, by=actions.user, public_summary="Hij is gevonden.")
    cache.clear()  # public pages may be 5 seconds stale
    page = _page(client, reverse("public:action", args=[action.pk]))
    assert "man.jpg" not in page
    assert "Hij is gevonden." in page
    assert client.get(reverse("public:api_actions")).json()["actions"] == []


def test_action_page_can_be_shared(client, actions) -> None:
    action = actions.active(title="Overval juwelier")
    page = _page(client, reverse("public:action", args=[action.pk]))
    url = f"http://127.0.0.1:8000/acties/{action.pk}/"
    assert f'<meta property="og:url" content="{url}">' in page
    assert '<meta property="og:title" content="Burgernet: Overval juwelier">' in page
    assert "https://wa.me/?text=Burgernet%3A%20Overval%20juwelier%20http%3A//127.0.0.1" in page


def test_archive_and_municipality_pages_show_results(client, actions) -> None:
    region = Region.objects.create(
        kind=RegionKind.MUNICIPALITY,
        code="GM0363",
        name="Amsterdam",
        geometry={},
        min_lat=52.2,
        min_lon=4.7,
        max_lat=52.5,
        max_lon=5.1,
    )
    done = actions.published(title="Gevonden jongen")
    failed = actions.closed(title="Dader niet gevonden", outcome="no_result", type="robbery")
    secret = actions.closed(title="Oefening afgesloten", exercise=True)
    for a in (done, failed, secret):
        a.regions.add(region)

    archive = _page(client, reverse("public:archive"))
    assert 'href="/gemeenten/GM0363/"' in archive
    assert "Gevonden jongen" in archive and "Oefening afgesloten" not in archive
    page = _page(client, reverse("public:municipality", args=["GM0363"]))
    assert "Gevonden jongen" in page and "Dader niet gevonden" in page
    assert "Oefening afgesloten" not in page
    # two public actions ended, one a success
    assert "<dd>2</dd>" in page and "<dd>1</dd>" in page
    assert client.get(reverse("public:municipality", args=["GM9999"])).status_code == 404


def test_statements_and_english(client) -> None:
    assert "Privacyverklaring" in _page(client, reverse("public:privacy"))
    assert "Toegankelijkheidsverklaring" in _page(client, reverse("public:accessibility"))
    client.cookies["django_language"] = "en"
    assert "Accessibility statement" in _page(client, reverse("public:accessibility"))


def test_action_page_in_english(client, actions) -> None:
    action = actions.active()
    client.cookies["django_language"] = "en"
    page = _page(client, reverse("public:action", args=[action.pk]))
    assert "Call free 0800-0011" in page and "Did you see something?" in page
    assert "A circle of 2.0 km around the place of the incident" in page


def test_home_links_to_sign_up_only_when_the_registry_offers_it(client) -> None:
    from django.urls import NoReverseMatch

    page = _page(client, reverse("public:home"))
    try:
        signup = reverse("participants:signup")
    except NoReverseMatch:
        assert "Aanmelden als deelnemer" not in page
    else:
        assert f'href="{signup}"' in page
