"""Writes of the dashboard: rebuilding the daily aggregates from the raw rows."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import h3
import structlog
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q, Sum

from burgernet.accounts.models import Organisation, OrganisationKind
from burgernet.actions.models import Action, ActionStatus, Outcome
from burgernet.core import clock
from burgernet.dashboard.models import DailyFigure
from burgernet.participants.models import CounterKind, Location, RegistryCounter, Source

log = structlog.get_logger(__name__)

SUCCESS_OUTCOMES = (Outcome.FOUND, Outcome.APPREHENDED)
CHANNELS = ("voice", "sms", "email")


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Start (inclusive) and end (exclusive) of `day` in the local time zone, as aware times."""
    zone = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def local_today() -> dt.date:
    return clock.now().astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def active_at(end: dt.datetime, day: dt.date, prefix: str = "participant__") -> Q:
    """Participants confirmed before `end`, not deactivated by then and not paused on `day`."""
    return (
        Q(**{f"{prefix}confirmed_at__lt": end})
        & (
            Q(**{f"{prefix}deactivated_at__isnull": True})
            | Q(**{f"{prefix}deactivated_at__gte": end})
        )
        & (Q(**{f"{prefix}paused_until__isnull": True}) | Q(**{f"{prefix}paused_until__lt": day}))
    )


@dataclass
class _Row:
    participants: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)
    signups: int = 0
    signoffs: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    responded: int = 0
    succeeded: int = 0
    delays: list[int] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    recipients: int = 0
    responses: int = 0
    cells: dict[str, int] = field(default_factory=dict)
    costs: dict[str, float] = field(default_factory=dict)
    deliveries: Counter[str] = field(default_factory=Counter)
    mail: MailFigures = field(default_factory=lambda: MailFigures())


@dataclass
class MailFigures:
    """The Burgernetmail columns of one `DailyFigure` row."""

    sent: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    recipients: int = 0
    delivered: int = 0
    bounced: int = 0
    reply_enabled: int = 0
    recipients_reply_enabled: int = 0
    replies: int = 0
    replied: int = 0
    unsubscribes: int = 0

    def columns(self) -> dict[str, Any]:
        return {
            "mailings_sent": self.sent,
            "mailings_by_kind": dict(self.by_kind),
            "mail_recipients": self.recipients,
            "mail_delivered": self.delivered,
            "mail_bounced": self.bounced,
            "mailings_reply_enabled": self.reply_enabled,
            "mail_recipients_reply_enabled": self.recipients_reply_enabled,
            "mail_replies": self.replies,
            "mailings_replied": self.replied,
            "mail_unsubscribes": self.unsubscribes,
        }


@dataclass(frozen=True)
class RebuildReport:
    day: dt.date
    rows: int


def aggregates_rebuild(
    *, day: dt.date, with_cells: bool | None = None, with_participants: bool = True
) -> RebuildReport:
    """Recompute every organisation's `DailyFigure` for `day` from the raw rows and replace
    the stored ones (idempotent: running it twice gives the same rows).

    Participant figures are a snapshot at the end of `day` of the rows that exist now (an
    erased participant is gone; sign-offs by erasure come from the anonymous counters).
    Action figures count the actions started that day, with what is known of them now, so
    rebuilding recent days picks up late outcomes. `with_cells` (default: only for today and
    yesterday) adds participants per H3 r7 cell for the coverage map; `with_participants=False`
    leaves the participant figures at 0 (benchmarks fill old days that way).
    """
    start, end = day_bounds(day)
    if with_cells is None:
        with_cells = day >= local_today() - dt.timedelta(days=1)
    municipalities = {
        o.region_id: o
        for o in Organisation.objects.filter(kind=OrganisationKind.MUNICIPALITY).exclude(
            region=None
        )
        if o.region_id is not None
    }
    centres = list(Organisation.objects.filter(kind=OrganisationKind.DISPATCH_CENTRE))
    rows: dict[int, _Row] = defaultdict(_Row)
    by_region = {rid: rows[org.pk] for rid, org in municipalities.items()}
    for centre in centres:
        rows[centre.pk]  # every centre gets a row, zero or not
    if with_participants:
        _participant_figures(day=day, start=start, end=end, by_region=by_region, cells=with_cells)
    _action_figures(start=start, end=end, rows=rows, municipalities=municipalities)
    _cost_figures(start=start, end=end, rows=rows, municipalities=municipalities)
    _mail_figures(start=start, end=end, rows=rows, by_region=by_region)

    now = clock.now()
    objs = [
        DailyFigure(
            organisation_id=org_id,
            day=day,
            participants=r.participants,
            participants_by_channel=r.by_channel,
            participants_by_source=r.by_source,
            signups=r.signups,
            signoffs=r.signoffs,
            actions_by_type=dict(r.by_type),
            actions_total=sum(r.by_type.values()),
            actions_responded=r.responded,
            actions_succeeded=r.succeeded,
            first_response_seconds=sorted(r.delays),
            outcomes=dict(r.outcomes),
            recipients=r.recipients,
            responses=r.responses,
            cells_r7=r.cells,
            costs_by_channel={c: round(v, 4) for c, v in r.costs.items()},
            deliveries_by_channel=dict(r.deliveries),
            **r.mail.columns(),
            rebuilt_at=now,
        )
        for org_id, r in rows.items()
    ]
    with transaction.atomic():
        DailyFigure.objects.filter(day=day).delete()
        DailyFigure.objects.bulk_create(objs, batch_size=1000)
    log.debug("dashboard.aggregates_rebuilt", day=day.isoformat(), rows=len(objs))
    return RebuildReport(day=day, rows=len(objs))


def aggregates_rebuild_recent(*, days: int) -> list[RebuildReport]:
    """Rebuild the last `days` days up to and including today (oldest first)."""
    today = local_today()
    return [aggregates_rebuild(day=today - dt.timedelta(days=n)) for n in range(days - 1, -1, -1)]


def _distinct_by_region(qs: Any, **extra: Q) -> dict[int, dict[str, int]]:
    annotations: dict[str, Any] = {"n": Count("participant_id", distinct=True)}
    for name, condition in extra.items():
        annotations[name] = Count("participant_id", distinct=True, filter=condition)
    out: dict[int, dict[str, int]] = {}
    for row in qs.values("region_id").annotate(**annotations).order_by():
        out[row.pop("region_id")] = row
    return out


def _participant_figures(
    *,
    day: dt.date,
    start: dt.datetime,
    end: dt.datetime,
    by_region: dict[int, _Row],
    cells: bool,
) -> None:
    regions = list(by_region)
    base = Location.objects.filter(region_id__in=regions)
    active = base.filter(active_at(end, day))
    sources = {f"src_{s}": Q(participant__source=s) for s in Source.values}
    email = Q(participant__email_confirmed_at__isnull=False, participant__email_unreachable=False)
    for region_id, row in _distinct_by_region(active, email=email, **sources).items():
        r = by_region[region_id]
        r.participants = row["n"]
        r.by_channel["email"] = row["email"]
        r.by_source = {s: row[f"src_{s}"] for s in Source.values if row[f"src_{s}"]}
    for channel in ("voice", "sms"):
        phones = active.filter(
            **{f"participant__phones__{channel}": True},
            participant__phones__verified_at__isnull=False,
            participant__phones__verified_at__lt=end,
        )
        for region_id, row in _distinct_by_region(phones).items():
            by_region[region_id].by_channel[channel] = row["n"]
    for r in by_region.values():
        r.by_channel = {c: r.by_channel.get(c, 0) for c in CHANNELS}

    signups = base.filter(participant__confirmed_at__gte=start, participant__confirmed_at__lt=end)
    for region_id, row in _distinct_by_region(signups).items():
        by_region[region_id].signups = row["n"]
    signoffs = base.filter(
        participant__deactivated_at__gte=start, participant__deactivated_at__lt=end
    )
    for region_id, row in _distinct_by_region(signoffs).items():
        by_region[region_id].signoffs = row["n"]
    # Erased participants left only an anonymous counter for their home municipality.
    code_to_row = {
        code: by_region[rid]
        for rid, code in Organisation.objects.filter(region_id__in=regions).values_list(
            "region_id", "region__code"
        )
    }
    for counter in RegistryCounter.objects.filter(date=day, kind=CounterKind.SIGNOFF):
        target = code_to_row.get(counter.region_code)
        if target is not None:
            target.signoffs += counter.count

    if cells:
        grouped = (
            active.values("region_id", "h3_r7")
            .annotate(n=Count("participant_id", distinct=True))
            .order_by()
        )
        for row in grouped:
            by_region[row["region_id"]].cells[h3.int_to_str(row["h3_r7"])] = row["n"]


def _action_figures(
    *,
    start: dt.datetime,
    end: dt.datetime,
    rows: dict[int, _Row],
    municipalities: dict[int, Organisation],
) -> None:
    actions = (
        Action.objects.filter(started_at__gte=start, started_at__lt=end, exercise=False)
        .exclude(status=ActionStatus.DRAFT)
        .annotate(
            first_response=Min("responses__at"),
            n_responses=Count("responses", distinct=True),
        )
        .prefetch_related("regions")
        .order_by()
    )
    reach = dict(
        Action.objects.filter(started_at__gte=start, started_at__lt=end)
        .annotate(n=Count("recipients__participant_id", distinct=True))
        .values_list("pk", "n")
    )
    for action in actions:
        targets = _targets(action, rows, municipalities)
        first_response, n_responses, n_reached = (
            action.first_response,
            action.n_responses,
            reach.get(action.pk, 0),
        )
        if action.purged_at is not None:
            # Retention deleted the recipients and responses; the purge kept their counts.
            first_response, n_responses, n_reached = _retained(action)
        delay = None
        if first_response is not None and action.started_at is not None:
            delay = max(0, round((first_response - action.started_at).total_seconds()))
        success = action.outcome in SUCCESS_OUTCOMES and action.participant_contributed
        for r in targets:
            r.by_type[action.type] += 1
            r.responses += n_responses
            r.recipients += n_reached
            if n_responses:
                r.responded += 1
            if delay is not None:
                r.delays.append(delay)
            if success:
                r.succeeded += 1
            if action.outcome:
                r.outcomes[action.outcome] += 1


def _retained(action: Action) -> tuple[dt.datetime | None, int, int]:
    """(first response, responses, participants reached) kept by a dossier purge."""
    kept = action.retained_figures or {}
    first = kept.get("first_response_at")
    return (
        dt.datetime.fromisoformat(first) if first else None,
        int(kept.get("responses", 0)),
        int(kept.get("recipients", 0)),
    )


def _targets(
    action: Action, rows: dict[int, _Row], municipalities: dict[int, Organisation]
) -> list[_Row]:
    return [rows[action.dispatch_centre_id]] + [
        rows[municipalities[region.pk].pk]
        for region in action.regions.all()
        if region.pk in municipalities
    ]


def _cost_figures(
    *,
    start: dt.datetime,
    end: dt.datetime,
    rows: dict[int, _Row],
    municipalities: dict[int, Organisation],
) -> None:
    """Costs of the deliveries of (non-exercise) actions handed to a provider that day, per
    channel, counted for the action's dispatch centre and the municipalities it touched.
    Nothing when the dispatch module is not installed."""
    try:
        delivery = apps.get_model("dispatch", "Delivery")
    except LookupError:
        return
    per_action: dict[int, list[tuple[str, int, float]]] = defaultdict(list)
    grouped = (
        delivery.objects.filter(
            sent_at__gte=start,
            sent_at__lt=end,
            message__source_type="action",
            message__exercise=False,
        )
        .values("message__source_id", "channel")
        .annotate(n=Count("id"), cost=Sum("cost"))
        .order_by()
    )
    for row in grouped:
        source = str(row["message__source_id"])
        if source.isdigit():
            per_action[int(source)].append((row["channel"], row["n"], float(row["cost"] or 0)))
    if not per_action:
        return
    for action in Action.objects.filter(pk__in=list(per_action), exercise=False).prefetch_related(
        "regions"
    ):
        for r in _targets(action, rows, municipalities):
            for channel, n, cost in per_action[action.pk]:
                r.costs[channel] = r.costs.get(channel, 0.0) + cost
                r.deliveries[channel] += n


# --- Burgernetmail ------------------------------------------------------------------------------

# A bounce report about a recipient this soon after their mail was handed over counts as a
# bounce of that mail (reports name the address, not the mailing; ADR 0072).
BOUNCE_WINDOW = dt.timedelta(days=3)
# Deliveries cancelled before sending (the participant unsubscribed or was erased): not bounces.
CANCELLED_ERRORS = ("unsubscribed", "erased")
# Replies and bounces to a mailing keep coming in after its day: the nightly job refreshes the
# mail figures of this many days (the longest reply period staff can choose is 90 days, plus
# the bounce window).
MAIL_REFRESH_DAYS = 94


def _mail_figures(
    *, start: dt.datetime, end: dt.datetime, rows: dict[int, _Row], by_region: dict[int, _Row]
) -> None:
    """The mailings each organisation sent that day (by `sent_at`, the moment they were due),
    their recipients, deliveries, bounces and replies so far; and per municipality the
    participants with a place there who unsubscribed from Burgernetmail that day. Nothing when
    the mailings module is not installed."""
    try:
        mailing_model = apps.get_model("mailings", "Mailing")
        preference_model = apps.get_model("mailings", "MailPreference")
        bounce_model = apps.get_model("mailings", "MailBounce")
        delivery_model = apps.get_model("dispatch", "Delivery")
    except LookupError:
        return
    from django.db.models import DateTimeField, Exists, ExpressionWrapper, OuterRef

    now = clock.now()
    mailings = list(
        mailing_model.objects.filter(sent_at__gte=start, sent_at__lt=min(end, now))
        .exclude(status="draft")
        .annotate(
            n_replies=Count("replies", distinct=True),
        )
        .values(
            "id",
            "organisation_id",
            "kind",
            "allow_replies",
            "recipient_count",
            "message_id",
            "n_replies",
        )
        .order_by()
    )
    by_message: dict[int, dict[str, int]] = defaultdict(Counter)
    message_ids = [m["message_id"] for m in mailings if m["message_id"] is not None]
    if message_ids:
        bounce_report = bounce_model.objects.filter(
            participant_id=OuterRef("recipient_ref"),
            received_at__gte=OuterRef("sent_at"),
            received_at__lt=ExpressionWrapper(
                OuterRef("sent_at") + BOUNCE_WINDOW, output_field=DateTimeField()
            ),
        )
        handed_over = Q(state__in=("sent", "delivered"))
        refused = Q(state__in=("failed", "undeliverable")) & ~Q(error__in=CANCELLED_ERRORS)
        grouped = (
            delivery_model.objects.filter(message_id__in=message_ids)
            .annotate(reported=Exists(bounce_report))
            .values("message_id")
            .annotate(
                n=Count("id"),
                delivered=Count("id", filter=handed_over & Q(reported=False)),
                bounced=Count("id", filter=refused | (handed_over & Q(reported=True))),
            )
            .order_by()
        )
        for row in grouped:
            by_message[row["message_id"]].update(
                n=row["n"], delivered=row["delivered"], bounced=row["bounced"]
            )
    for m in mailings:
        figures = rows[m["organisation_id"]].mail
        counts = by_message.get(m["message_id"], {})
        recipients = counts.get("n", m["recipient_count"])
        figures.sent += 1
        figures.by_kind[m["kind"]] += 1
        figures.recipients += recipients
        figures.delivered += counts.get("delivered", 0)
        figures.bounced += counts.get("bounced", 0)
        if m["allow_replies"]:
            figures.reply_enabled += 1
            figures.recipients_reply_enabled += recipients
            figures.replies += m["n_replies"]
            figures.replied += 1 if m["n_replies"] else 0

    unsubscribed = preference_model.objects.filter(
        unsubscribed_at__gte=start, unsubscribed_at__lt=end
    ).values("participant_id")
    places = Location.objects.filter(region_id__in=list(by_region), participant_id__in=unsubscribed)
    for region_id, row in _distinct_by_region(places).items():
        by_region[region_id].mail.unsubscribes = row["n"]


def mail_figures_refresh(*, days: int = MAIL_REFRESH_DAYS) -> int:
    """Recompute only the Burgernetmail columns of the last `days` days (today included), so
    replies and bounces that came in after a mailing's day reach its figures without
    rebuilding the (costly) participant snapshots. Only rows whose figures changed are
    written, one short update each (on SQLite a long run of writes would starve the task
    workers' claims). Returns the rows written."""
    today = local_today()
    written = 0
    municipalities = {
        o.region_id: o.pk
        for o in Organisation.objects.filter(kind=OrganisationKind.MUNICIPALITY).exclude(
            region=None
        )
        if o.region_id is not None
    }
    columns = list(MailFigures().columns())
    for n in range(days - 1, -1, -1):
        day = today - dt.timedelta(days=n)
        start, end = day_bounds(day)
        rows: dict[int, _Row] = defaultdict(_Row)
        by_region = {rid: rows[org_id] for rid, org_id in municipalities.items()}
        _mail_figures(start=start, end=end, rows=rows, by_region=by_region)
        stored = {
            values["organisation_id"]: values
            for values in DailyFigure.objects.filter(day=day).values("organisation_id", *columns)
        }
        for org_id, r in rows.items():
            values = r.mail.columns()
            old = stored.get(org_id)
            if old is None:
                if any(values.values()):
                    DailyFigure.objects.create(
                        organisation_id=org_id, day=day, rebuilt_at=clock.now(), **values
                    )
                    written += 1
            elif any(old[name] != value for name, value in values.items()):
                DailyFigure.objects.filter(organisation_id=org_id, day=day).update(**values)
                written += 1
    log.debug("dashboard.mail_figures_refreshed", days=days, rows=written)
    return written
