"""RSS 2.0 and Atom feeds of public actions (Django's syndication framework)."""

from __future__ import annotations

import datetime as dt

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from burgernet.actions import public_selectors
from burgernet.actions.models import Action

FEED_SIZE = 50


class ActionsRssFeed(Feed):
    title = _("Burgernet actions")
    description = _("Searches by the police in which residents can help, and their results.")

    def link(self) -> str:
        return reverse("public:actions")

    def items(self) -> QuerySet[Action]:
        return public_selectors.public_action_list().order_by("-started_at")[:FEED_SIZE]

    def item_title(self, item: Action) -> str:
        status = "" if item.status == "active" else f" ({item.get_status_display()})"
        return f"{item.title}{status}"

    def item_description(self, item: Action) -> str:
        parts = [item.description]
        if item.status != "active" and item.outcome:
            parts.append(f"{_('Result')}: {item.get_outcome_display()}")
        if item.public_summary:
            parts.append(item.public_summary)
        return "\n\n".join(parts)

    def item_link(self, item: Action) -> str:
        return reverse("public:action", args=[item.pk])

    def item_pubdate(self, item: Action) -> dt.datetime | None:
        return item.started_at

    def item_updateddate(self, item: Action) -> dt.datetime | None:
        return item.published_at or item.closed_at or item.started_at

    def item_guid(self, item: Action) -> str:
        return f"urn:burgernet:action:{item.pk}"

    item_guid_is_permalink = False


class ActionsAtomFeed(ActionsRssFeed):
    feed_type = Atom1Feed
    subtitle = ActionsRssFeed.description
