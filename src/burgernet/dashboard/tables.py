"""The dashboard's tables: built once from the selectors, rendered as HTML tables (behind
each chart), as chart data (json_script) and as CSV."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from burgernet.accounts.models import Organisation
from burgernet.actions.models import Outcome
from burgernet.dashboard import selectors
from burgernet.dashboard.selectors import Scope
from burgernet.participants.models import Source


@dataclass(frozen=True)
class Table:
    slug: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    # {"type": "bar"|"line", "series": [column indexes], "stacked": bool}; None: no chart
    chart: dict[str, Any] | None = None

    def chart_data(self) -> dict[str, Any] | None:
        if self.chart is None:
            return None
        return {
            "type": self.chart["type"],
            "stacked": self.chart.get("stacked", False),
            "title": self.title,
            "labels": [str(r[0]) for r in self.rows],
            "datasets": [
                {"label": self.columns[i], "data": [r[i] for r in self.rows]}
                for i in self.chart["series"]
            ],
        }


def _number(value: float | None, decimals: int = 0) -> str:
    if value is None:
        return "—"
    return number_format(value, decimal_pos=decimals, force_grouping=True)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{_number(value * 100, 1)} %"


def _minutes(seconds: float | None) -> str:
    return "—" if seconds is None else _number(seconds / 60, 1)


def dashboard_tables(*, scope: Scope, period: str = "weekly") -> dict[str, Table]:
    """Every table of the dashboard for `scope`, by slug."""
    tables: dict[str, Table] = {}
    now = selectors.participants_now(scope=scope)
    channel_labels = selectors.channel_labels()
    tables["participants"] = Table(
        "participants",
        _("Participants now"),
        [_("Figure"), _("Value")],
        [
            [_("Participants"), now.total],
            [_("Inhabitants"), now.inhabitants],
            [
                _("Participants per 1,000 inhabitants"),
                now.per_1000 if now.per_1000 is not None else "—",
            ],
        ],
    )
    tables["channels"] = Table(
        "channels",
        _("Participants by channel"),
        [_("Channel"), _("Participants")],
        [[channel_labels.get(c, c), n] for c, n in now.by_channel.items()],
        {"type": "bar", "series": [1]},
    )
    source_labels = {s: str(label) for s, label in Source.choices}
    tables["sources"] = Table(
        "sources",
        _("Participants by source"),
        [_("Source"), _("Participants")],
        [[source_labels.get(s, s), n] for s, n in now.by_source.items()],
        {"type": "bar", "series": [1]},
    )
    flow = selectors.participant_flow(scope=scope, period=period)
    tables["flow"] = Table(
        "flow",
        _("Sign-ups and sign-offs per day")
        if period == "daily"
        else _("Sign-ups and sign-offs per week"),
        [_("Day") if period == "daily" else _("Week starting"), _("Sign-ups"), _("Sign-offs")],
        [[f.start.isoformat(), f.signups, f.signoffs] for f in flow],
        {"type": "line", "series": [1, 2]},
    )
    figures = selectors.action_figures(scope=scope)
    type_labels = selectors.type_labels()
    used_types = [t for t in type_labels if any(m.get(t) for m in figures.by_month_type.values())]
    tables["actions_by_month"] = Table(
        "actions_by_month",
        _("Actions by type and month"),
        [_("Month")] + [type_labels[t] for t in used_types] + [_("Total")],
        [
            [m.strftime("%Y-%m")]
            + [figures.by_month_type[m].get(t, 0) for t in used_types]
            + [sum(figures.by_month_type[m].values())]
            for m in figures.months
        ],
        {"type": "bar", "series": list(range(1, len(used_types) + 1)), "stacked": True},
    )
    outcome_labels = {o: str(label) for o, label in Outcome.choices}
    rate_rows: list[list[Any]] = [
        [_("Actions"), figures.total],
        [_("Actions with at least one response"), figures.responded],
        [_("Response rate"), _pct(figures.response_rate)],
        [_("Successful thanks to a participant"), figures.succeeded],
        [_("Success rate"), _pct(figures.success_rate)],
        [
            _("Median minutes from start to first response"),
            _minutes(figures.median_first_response_s),
        ],
        [_("Participants reached"), figures.recipients],
        [_("Responses"), figures.responses],
    ]
    rate_rows += [
        [_("Outcome: %(o)s") % {"o": outcome_labels[o]}, n] for o, n in figures.outcomes.items()
    ]
    tables["action_rates"] = Table(
        "action_rates", _("Actions in the last 12 months"), [_("Figure"), _("Value")], rate_rows
    )
    if selectors.mailings_available():
        tables.update(_mail_tables(scope))
    if selectors.costs_available():
        costs = selectors.message_costs(scope=scope)
        euro = _("%(channel)s (€)")
        count = _("%(channel)s (messages)")
        tables["costs"] = Table(
            "costs",
            _("Message costs per channel per month"),
            [_("Month")]
            + [euro % {"channel": channel_labels.get(c, c)} for c in selectors.CHANNELS]
            + [_("Total (€)")]
            + [count % {"channel": channel_labels.get(c, c)} for c in selectors.CHANNELS],
            [
                [m.month.strftime("%Y-%m")]
                + [_number(m.costs[c], 2) for c in selectors.CHANNELS]
                + [_number(sum(m.costs.values()), 2)]
                + [m.deliveries[c] for c in selectors.CHANNELS]
                for m in costs
            ],
        )
    rates = selectors.municipality_rates()
    in_scope = set(scope.municipality_ids)
    codes = set(Organisation.objects.filter(pk__in=in_scope).values_list("region__code", flat=True))
    tables["coverage"] = Table(
        "coverage",
        _("Coverage per municipality"),
        [
            _("Municipality"),
            _("Code"),
            _("Inhabitants"),
            _("Participants"),
            _("per 1,000"),
            _("White spot"),
        ],
        [
            [
                r.name,
                r.code,
                r.inhabitants,
                r.participants,
                r.per_1000 if r.per_1000 is not None else "—",
                _("yes") if r.white_spot else _("no"),
            ]
            for r in sorted(rates, key=lambda r: (r.per_1000 is None, r.per_1000 or 0, r.name))
            if r.code in codes
        ],
    )
    if scope.municipality is not None:
        bench = selectors.benchmark(municipality=scope.municipality)
        if bench is not None:
            low, high = bench.group
            group = (
                _("%(low)s to %(high)s inhabitants") % {"low": _number(low), "high": _number(high)}
                if high
                else _("%(low)s inhabitants or more") % {"low": _number(low)}
            )
            tables["benchmark"] = Table(
                "benchmark",
                _("Compared with other municipalities (participants per 1,000 inhabitants)"),
                [_("Figure"), _("Value")],
                [
                    [_("Rank among all municipalities"), f"{bench.rank} / {bench.of}"],
                    [
                        _("Percentile (share of municipalities with a lower rate)"),
                        _number(bench.percentile, 1),
                    ],
                    [
                        _("National rate"),
                        bench.national_per_1000 if bench.national_per_1000 is not None else "—",
                    ],
                    [_("Similar-size group"), group],
                    [_("Rank in the group"), f"{bench.group_rank} / {bench.group_of}"],
                    [
                        _("Median rate of the group"),
                        bench.group_median_per_1000
                        if bench.group_median_per_1000 is not None
                        else "—",
                    ],
                ],
            )
        cells = selectors.coverage_cells(scope=scope)
        if cells is not None:
            tables["cells"] = Table(
                "cells",
                _("Participants per H3 cell (resolution 7)"),
                [_("Cell"), _("Participants"), _("White spot")],
                [
                    [
                        f["properties"]["cell"],
                        f["properties"]["participants"],
                        _("yes") if f["properties"]["white_spot"] else _("no"),
                    ]
                    for f in cells["features"]
                ],
            )
    return tables


def _mail_tables(scope: Scope) -> dict[str, Table]:
    mail = selectors.mail_figures(scope=scope)
    kind_labels = selectors.mailing_kind_labels()
    used = [k for k in kind_labels if any(m.by_kind.get(k) for m in mail.months)]
    per_100 = None if mail.replies_per_recipient is None else mail.replies_per_recipient * 100
    return {
        "mailings_by_month": Table(
            "mailings_by_month",
            _("Burgernetmail by kind and month"),
            [_("Month")] + [kind_labels[k] for k in used] + [_("Total")],
            [
                [m.month.strftime("%Y-%m")] + [m.by_kind.get(k, 0) for k in used] + [m.sent]
                for m in mail.months
            ],
            {"type": "bar", "series": list(range(1, len(used) + 1)), "stacked": True},
        ),
        "mail_by_month": Table(
            "mail_by_month",
            _("Recipients, replies and unsubscribes per month"),
            [
                _("Month"),
                _("Recipients"),
                _("Delivered"),
                _("Bounced"),
                _("Replies"),
                _("Unsubscribes"),
            ],
            [
                [
                    m.month.strftime("%Y-%m"),
                    m.recipients,
                    m.delivered,
                    m.bounced,
                    m.replies,
                    m.unsubscribes,
                ]
                for m in mail.months
            ],
            {"type": "line", "series": [4, 3, 5]},
        ),
        "mail_rates": Table(
            "mail_rates",
            _("Burgernetmail in the last 12 months"),
            [_("Figure"), _("Value")],
            [
                [_("Mailings sent"), mail.sent],
                [_("Recipients"), mail.recipients],
                [_("Delivered (handed to the mail server, no bounce)"), mail.delivered],
                [_("Bounced"), mail.bounced],
                [_("Bounce rate"), _pct(mail.bounce_rate)],
                [_("Mailings with a reply button"), mail.reply_enabled],
                [_("Replies"), mail.replies],
                [_("Replies per 100 recipients"), _number(per_100, 2)],
                [_("Mailings with at least one reply"), mail.replied],
                [_("Share of mailings with at least one reply"), _pct(mail.replied_share)],
                [_("Unsubscribes from Burgernetmail"), mail.unsubscribes],
            ],
        ),
    }


def weekly_table(*, scope: Scope, week_start: dt.date) -> Table:
    """The weekly control-room report as one table."""
    outcome_labels = {o: str(label) for o, label in Outcome.choices}
    days = selectors.weekly_report(scope=scope, week_start=week_start)
    counts = [
        [d.actions, d.recipients, d.responses, d.responded, d.succeeded]
        + [d.outcomes[o] for o in outcome_labels]
        for d in days
    ]
    rows: list[list[Any]] = [
        [date_format(d.day, "D j M"), *c] for d, c in zip(days, counts, strict=True)
    ]
    rows.append([_("Week"), *(sum(column) for column in zip(*counts, strict=True))])
    return Table(
        "weekly",
        _("Week report from %(day)s") % {"day": week_start.isoformat()},
        [
            _("Day"),
            _("Actions"),
            _("Participants reached"),
            _("Responses"),
            _("Actions with a response"),
            _("Successful thanks to a participant"),
            *outcome_labels.values(),
        ],
        rows,
    )
