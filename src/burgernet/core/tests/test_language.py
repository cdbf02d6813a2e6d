"""Dutch first: the browser's language does not switch the interface; the visitor's choice does."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse


@pytest.mark.django_db
def test_an_english_browser_still_gets_dutch_until_it_chooses_english() -> None:
    client = Client()
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Inloggen op Burgernetplein" in page.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="nl")
    assert "Sign in to Burgernetplein" in page.content.decode()
