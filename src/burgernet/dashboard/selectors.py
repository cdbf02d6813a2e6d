"""Reads of the dashboard. Everything here reads `DailyFigure` rows (aggregates), never
participant rows, and is scoped through `accounts.scoping`."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import h3
from django.apps import apps
from django.conf import settings
from django.db.models import Max, Q, Sum
from django.utils.translation import gettext as _

from burgernet.accounts.models import Organisation, OrganisationKind, StaffUser
from burgernet.accounts.scoping import is_national, municipalities_in_scope
from burgernet.actions.models import ActionType, Outcome
from burgernet.dashboard.models import DailyFigure
from burgernet.dashboard.services import CHANNELS, local_today
from burgernet.participants.models import Channel, Source

# Similar-size groups by inhabitants (CBS's size classes, merged at the small end).
SIZE_GROUPS: list[tuple[int, int | None]] = [
    (0, 20_000),
    (20_000, 50_000),
    (50_000, 100_000),
    (100_000, 250_000),
    (250_000, None),
]
# A municipality (or cell) is a white spot below this share of the national rate.
WHITE_SPOT_SHARE = 0.5


@dataclass(frozen=True)
class Scope:
    """Whose figures: one municipality, a police unit's municipalities, or the country."""

    kind: str  # "municipality" | "unit" | "national"
    label: str
    municipality_ids: list[int]
    centre_ids: list[int]
    municipality: Organisation | None = None
    choices: list[Organisation] = field(default_factory=list)
    # Basic teams in scope: they send Burgernetmail too (municipalities' mailings count for
    # the municipality itself).
    basic_team_ids: list[int] = field(default_factory=list)


def dashboard_scope(*, user: StaffUser, municipality_code: str = "") -> Scope:
    """The scope of `user`'s dashboard; national and police-unit staff may narrow it to one
    municipality of theirs by code. A code outside the scope is ignored."""
    municipalities = list(municipalities_in_scope(user).select_related("region"))
    org = user.organisation
    if org is not None and org.kind == OrganisationKind.MUNICIPALITY:
        own = [m for m in municipalities if m.pk == org.pk]
        return _municipality_scope(own[0] if own else org, [])
    if municipality_code:
        chosen = [m for m in municipalities if m.code == municipality_code]
        if chosen:
            return _municipality_scope(chosen[0], municipalities)
    centres = Organisation.objects.filter(kind=OrganisationKind.DISPATCH_CENTRE)
    teams = Organisation.objects.filter(kind=OrganisationKind.BASIC_TEAM)
    if is_national(user):
        return Scope(
            kind="national",
            label=_("the Netherlands"),
            municipality_ids=[m.pk for m in municipalities],
            centre_ids=list(centres.values_list("pk", flat=True)),
            choices=municipalities,
            basic_team_ids=list(teams.values_list("pk", flat=True)),
        )
    unit_id = org.police_unit_id if org is not None else None
    unit = Organisation.objects.filter(pk=unit_id).first() if unit_id else None
    return Scope(
        kind="unit",
        label=unit.name if unit else "—",
        municipality_ids=[m.pk for m in municipalities],
        centre_ids=list(centres.filter(parent_id=unit_id).values_list("pk", flat=True))
        if unit_id
        else [],
        choices=municipalities,
        basic_team_ids=list(teams.filter(parent_id=unit_id).values_list("pk", flat=True))
        if unit_id
        else [],
    )


def _municipality_scope(org: Organisation, choices: list[Organisation]) -> Scope:
    return Scope(
        kind="municipality",
        label=org.name,
        municipality_ids=[org.pk],
        centre_ids=[],
        municipality=org,
        choices=choices,
    )


def latest_day() -> dt.date | None:
    """The most recent day with figures."""
    return DailyFigure.objects.aggregate(d=Max("day"))["d"]


def _inhabitants(org: Organisation) -> int:
    return org.inhabitants or (org.region.inhabitants if org.region else None) or 0


def _per_1000(n: int, inhabitants: int) -> float | None:
    return round(n * 1000 / inhabitants, 2) if inhabitants else None


# --- participants ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantsNow:
    day: dt.date | None
    total: int
    inhabitants: int
    per_1000: float | None
    by_channel: dict[str, int]
    by_source: dict[str, int]


def participants_now(*, scope: Scope) -> ParticipantsNow:
    """Participants at the end of the latest day with figures, per 1,000 inhabitants, by
    channel and by source."""
    day = latest_day()
    rows = DailyFigure.objects.filter(
        day=day or dt.date.min, organisation_id__in=scope.municipality_ids
    )
    total = 0
    channels: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    for r in rows.only("participants", "participants_by_channel", "participants_by_source"):
        total += r.participants
        channels.update(r.participants_by_channel)
        sources.update(r.participants_by_source)
    inhabitants = sum(
        _inhabitants(o)
        for o in Organisation.objects.filter(pk__in=scope.municipality_ids).select_related("region")
    )
    return ParticipantsNow(
        day=day,
        total=total,
        inhabitants=inhabitants,
        per_1000=_per_1000(total, inhabitants),
        by_channel={c: channels.get(c, 0) for c in CHANNELS},
        by_source={s: sources.get(s, 0) for s in Source.values},
    )


@dataclass(frozen=True)
class Flow:
    start: dt.date
    signups: int
    signoffs: int


def participant_flow(*, scope: Scope, period: str = "weekly", periods: int = 26) -> list[Flow]:
    """Sign-ups and sign-offs per day or per ISO week (Monday), the last `periods` periods up
    to the latest day with figures."""
    end = latest_day() or local_today()
    if period == "daily":
        first = end - dt.timedelta(days=periods - 1)
    else:
        monday = end - dt.timedelta(days=end.weekday())
        first = monday - dt.timedelta(weeks=periods - 1)
    sums = (
        DailyFigure.objects.filter(
            organisation_id__in=scope.municipality_ids, day__gte=first, day__lte=end
        )
        .values("day")
        .annotate(up=Sum("signups"), off=Sum("signoffs"))
        .order_by()
    )
    buckets: dict[dt.date, list[int]] = {}
    step = dt.timedelta(days=1 if period == "daily" else 7)
    cursor = first
    while cursor <= end:
        buckets[cursor] = [0, 0]
        cursor += step
    for row in sums:
        day = row["day"]
        key = day if period == "daily" else day - dt.timedelta(days=day.weekday())
        buckets[key][0] += row["up"] or 0
        buckets[key][1] += row["off"] or 0
    return [Flow(start=k, signups=v[0], signoffs=v[1]) for k, v in buckets.items()]


# --- actions --------------------------------------------------------------------------------


def _action_org_ids(scope: Scope) -> list[int]:
    # A municipality counts the actions that touched it; wider scopes count their dispatch
    # centres' actions (summing municipalities would count an action touching two twice).
    return scope.municipality_ids if scope.kind == "municipality" else scope.centre_ids


@dataclass(frozen=True)
class ActionFigures:
    months: list[dt.date]
    by_month_type: dict[dt.date, dict[str, int]]
    total: int
    responded: int
    succeeded: int
    response_rate: float | None
    success_rate: float | None
    median_first_response_s: float | None
    outcomes: dict[str, int]
    recipients: int
    responses: int


def _month_starts(end: dt.date, months: int) -> list[dt.date]:
    out = []
    y, m = end.year, end.month
    for _i in range(months):
        out.append(dt.date(y, m, 1))
        m -= 1
        if m == 0:
            y, m = y - 1, 12
    return out[::-1]


def action_figures(
    *, scope: Scope, first: dt.date | None = None, last: dt.date | None = None
) -> ActionFigures:
    """Actions by type and month, response rate (share with at least one response), success
    rate (found/apprehended with a participant's contribution) and the median time from start
    to first response; by default the last 12 months."""
    end = last or latest_day() or local_today()
    months = _month_starts(end, 12)
    start = first or months[0]
    rows = DailyFigure.objects.filter(
        organisation_id__in=_action_org_ids(scope),
        day__gte=start,
        day__lte=end,
        actions_total__gt=0,
    ).only(
        "day",
        "actions_by_type",
        "actions_total",
        "actions_responded",
        "actions_succeeded",
        "first_response_seconds",
        "outcomes",
        "recipients",
        "responses",
    )
    by_month: dict[dt.date, Counter[str]] = defaultdict(Counter)
    total = responded = succeeded = recipients = responses = 0
    delays: list[int] = []
    outcomes: Counter[str] = Counter()
    for r in rows:
        by_month[r.day.replace(day=1)].update(r.actions_by_type)
        total += r.actions_total
        responded += r.actions_responded
        succeeded += r.actions_succeeded
        delays.extend(r.first_response_seconds)
        outcomes.update(r.outcomes)
        recipients += r.recipients
        responses += r.responses
    if first is not None:
        months = sorted(set(by_month) | {first.replace(day=1)})
    return ActionFigures(
        months=months,
        by_month_type={m: dict(by_month.get(m, {})) for m in months},
        total=total,
        responded=responded,
        succeeded=succeeded,
        response_rate=round(responded / total, 4) if total else None,
        success_rate=round(succeeded / total, 4) if total else None,
        median_first_response_s=statistics.median(delays) if delays else None,
        outcomes={o: outcomes.get(o, 0) for o in Outcome.values},
        recipients=recipients,
        responses=responses,
    )


@dataclass(frozen=True)
class WeekDay:
    day: dt.date
    actions: int
    recipients: int
    responses: int
    responded: int
    succeeded: int
    outcomes: dict[str, int]


def weekly_report(*, scope: Scope, week_start: dt.date) -> list[WeekDay]:
    """The control room's week (Monday `week_start` + 6 days): per day the actions started,
    participants reached, responses, actions with a response, successes and outcomes."""
    days = [week_start + dt.timedelta(days=i) for i in range(7)]
    rows = DailyFigure.objects.filter(organisation_id__in=_action_org_ids(scope), day__in=days)
    acc: dict[dt.date, list[Any]] = {d: [0, 0, 0, 0, 0, Counter()] for d in days}
    for r in rows:
        a = acc[r.day]
        a[0] += r.actions_total
        a[1] += r.recipients
        a[2] += r.responses
        a[3] += r.actions_responded
        a[4] += r.actions_succeeded
        a[5].update(r.outcomes)
    return [
        WeekDay(
            day=d,
            actions=a[0],
            recipients=a[1],
            responses=a[2],
            responded=a[3],
            succeeded=a[4],
            outcomes={o: a[5].get(o, 0) for o in Outcome.values},
        )
        for d, a in acc.items()
    ]


# --- benchmark and coverage -----------------------------------------------------------------


@dataclass(frozen=True)
class MunicipalityRate:
    code: str
    name: str
    inhabitants: int
    participants: int
    per_1000: float | None
    white_spot: bool


def municipality_rates() -> list[MunicipalityRate]:
    """Participants per 1,000 inhabitants of every municipality on the latest day: aggregates
    only (no participant rows), which every dashboard user may compare against."""
    day = latest_day()
    counts = dict(
        DailyFigure.objects.filter(
            day=day or dt.date.min, organisation__kind=OrganisationKind.MUNICIPALITY
        ).values_list("organisation_id", "participants")
    )
    orgs = Organisation.objects.filter(kind=OrganisationKind.MUNICIPALITY).select_related("region")
    raw = []
    for org in orgs:
        inhabitants = _inhabitants(org)
        n = counts.get(org.pk, 0)
        code = org.region.code if org.region else org.code
        raw.append((code, org.name, inhabitants, n, _per_1000(n, inhabitants)))
    total_n = sum(r[3] for r in raw if r[2])
    total_inh = sum(r[2] for r in raw)
    national = total_n * 1000 / total_inh if total_inh else 0
    return [
        MunicipalityRate(
            code=c,
            name=name,
            inhabitants=inh,
            participants=n,
            per_1000=rate,
            white_spot=rate is not None and rate < national * WHITE_SPOT_SHARE,
        )
        for c, name, inh, n, rate in raw
    ]


def size_group(inhabitants: int) -> tuple[int, int | None]:
    for low, high in SIZE_GROUPS:
        if high is None or inhabitants < high:
            return (low, high)
    return SIZE_GROUPS[-1]


@dataclass(frozen=True)
class Benchmark:
    rank: int
    of: int
    percentile: float
    national_per_1000: float | None
    group: tuple[int, int | None]
    group_rank: int
    group_of: int
    group_median_per_1000: float | None


def _rank(values: list[float], own: float) -> tuple[int, float]:
    # Rank 1 = highest rate; percentile = share of municipalities with a lower rate.
    rank = 1 + sum(1 for v in values if v > own)
    below = sum(1 for v in values if v < own)
    return rank, round(100 * below / len(values), 1) if values else 0.0


def benchmark(*, municipality: Organisation) -> Benchmark | None:
    """Where `municipality` stands among all municipalities (rank, percentile) and among those
    of similar size, by participants per 1,000 inhabitants. Aggregates only."""
    rates = [r for r in municipality_rates() if r.per_1000 is not None]
    code = municipality.region.code if municipality.region else municipality.code
    own = next((r for r in rates if r.code == code), None)
    if own is None or own.per_1000 is None:
        return None
    values = [r.per_1000 for r in rates if r.per_1000 is not None]
    rank, percentile = _rank(values, own.per_1000)
    group = size_group(own.inhabitants)
    peers = [
        r.per_1000 for r in rates if size_group(r.inhabitants) == group and r.per_1000 is not None
    ]
    group_rank, _p = _rank(peers, own.per_1000)
    total_inh = sum(r.inhabitants for r in rates)
    return Benchmark(
        rank=rank,
        of=len(values),
        percentile=percentile,
        national_per_1000=_per_1000(sum(r.participants for r in rates), total_inh),
        group=group,
        group_rank=group_rank,
        group_of=len(peers),
        group_median_per_1000=round(statistics.median(peers), 2) if peers else None,
    )


def coverage_cells(*, scope: Scope) -> dict[str, Any] | None:
    """For a municipality: its H3 r7 cells as GeoJSON, with participants per cell and empty
    cells of its area marked as white spots (neighbourhood boundaries do not ship)."""
    org = scope.municipality
    if org is None or org.region is None:
        return None
    row = (
        DailyFigure.objects.filter(organisation=org)
        .exclude(cells_r7={})
        .order_by("-day")
        .only("cells_r7")
        .first()
    )
    counts: dict[str, int] = row.cells_r7 if row else {}
    try:
        shape = h3.geo_to_h3shape(org.region.geometry)
        area_cells = set(h3.h3shape_to_cells(shape, 7))
    except (ValueError, TypeError, KeyError, h3.H3BaseException):
        area_cells = set()
    features = []
    for cell in sorted(area_cells | set(counts)):
        boundary = [[lon, lat] for lat, lon in h3.cell_to_boundary(cell)]
        boundary.append(boundary[0])
        n = counts.get(cell, 0)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [boundary]},
                "properties": {"cell": cell, "participants": n, "white_spot": n == 0},
            }
        )
    return {"type": "FeatureCollection", "features": features}


# --- money, mail ----------------------------------------------------------------------------


def contribution_eur(*, scope: Scope) -> float | None:
    """The yearly contribution at `CONTRIBUTION_PER_INHABITANT_EUR` per inhabitant (None when
    no rate is configured)."""
    rate = float(settings.CONTRIBUTION_PER_INHABITANT_EUR)
    if rate <= 0:
        return None
    inhabitants = sum(
        _inhabitants(o)
        for o in Organisation.objects.filter(pk__in=scope.municipality_ids).select_related("region")
    )
    return round(inhabitants * rate, 2)


@dataclass(frozen=True)
class MailMonth:
    month: dt.date
    sent: int
    by_kind: dict[str, int]
    recipients: int
    delivered: int
    bounced: int
    replies: int
    unsubscribes: int


@dataclass(frozen=True)
class MailFigures:
    months: list[MailMonth]
    sent: int
    recipients: int
    delivered: int
    bounced: int
    bounce_rate: float | None
    reply_enabled: int
    recipients_reply_enabled: int
    replies: int
    replied: int
    replies_per_recipient: float | None
    replied_share: float | None
    unsubscribes: int


def mail_figures(*, scope: Scope) -> MailFigures:
    """Burgernetmail of the last 12 months per month of sending: mailings (by kind),
    recipients, delivered, bounced, replies; unsubscribes of participants in the scope's
    municipalities; reply rates over the mailings with a reply button (replies per recipient,
    share of mailings with at least one reply). A municipality counts its own mailings, a
    police unit those of its municipalities and basic teams, the national office all."""
    end = latest_day() or local_today()
    months = _month_starts(end, 12)
    senders = scope.municipality_ids + scope.basic_team_ids
    rows = (
        DailyFigure.objects.filter(organisation_id__in=senders, day__gte=months[0], day__lte=end)
        .filter(Q(mailings_sent__gt=0) | Q(mail_unsubscribes__gt=0))
        .only(
            "day",
            "organisation_id",
            "mailings_sent",
            "mailings_by_kind",
            "mail_recipients",
            "mail_delivered",
            "mail_bounced",
            "mailings_reply_enabled",
            "mail_recipients_reply_enabled",
            "mail_replies",
            "mailings_replied",
            "mail_unsubscribes",
        )
    )
    per_month: dict[dt.date, Counter[str]] = defaultdict(Counter)
    kinds: dict[dt.date, Counter[str]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    municipality_ids = set(scope.municipality_ids)
    for r in rows:
        month = r.day.replace(day=1)
        kinds[month].update(r.mailings_by_kind)
        values = {
            "sent": r.mailings_sent,
            "recipients": r.mail_recipients,
            "delivered": r.mail_delivered,
            "bounced": r.mail_bounced,
            "reply_enabled": r.mailings_reply_enabled,
            "recipients_reply_enabled": r.mail_recipients_reply_enabled,
            "replies": r.mail_replies,
            "replied": r.mailings_replied,
            # Unsubscribes are counted where the participant lives, on municipality rows.
            "unsubscribes": r.mail_unsubscribes if r.organisation_id in municipality_ids else 0,
        }
        per_month[month].update(values)
        totals.update(values)

    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    return MailFigures(
        months=[
            MailMonth(
                month=m,
                sent=per_month[m]["sent"],
                by_kind=dict(kinds[m]),
                recipients=per_month[m]["recipients"],
                delivered=per_month[m]["delivered"],
                bounced=per_month[m]["bounced"],
                replies=per_month[m]["replies"],
                unsubscribes=per_month[m]["unsubscribes"],
            )
            for m in months
        ],
        sent=totals["sent"],
        recipients=totals["recipients"],
        delivered=totals["delivered"],
        bounced=totals["bounced"],
        bounce_rate=share(totals["bounced"], totals["recipients"]),
        reply_enabled=totals["reply_enabled"],
        recipients_reply_enabled=totals["recipients_reply_enabled"],
        replies=totals["replies"],
        replied=totals["replied"],
        replies_per_recipient=share(totals["replies"], totals["recipients_reply_enabled"]),
        replied_share=share(totals["replied"], totals["reply_enabled"]),
        unsubscribes=totals["unsubscribes"],
    )


def mailing_kind_labels() -> dict[str, str]:
    """Kinds of Burgernetmail by code, as the mailings app names them."""
    if not mailings_available():
        return {}
    from burgernet.mailings.models import MailingKind

    return {k: str(label) for k, label in MailingKind.choices}


def mailings_available() -> bool:
    """Whether the Burgernetmail models exist in this build (figures follow once they do)."""
    if not apps.is_installed("burgernet.mailings"):
        return False
    try:
        apps.get_model("mailings", "Mailing")
    except LookupError:
        return False
    return True


def costs_available() -> bool:
    """Whether dispatch's `Delivery` (with its cost) exists in this build."""
    try:
        model = apps.get_model("dispatch", "Delivery")
    except LookupError:
        return False
    return any(f.name == "cost" for f in model._meta.get_fields())


@dataclass(frozen=True)
class MonthCosts:
    month: dt.date
    costs: dict[str, float]
    deliveries: dict[str, int]


def message_costs(*, scope: Scope) -> list[MonthCosts]:
    """Message costs (euro) and deliveries per channel per month, last 12 months: of the
    actions counted for `scope` (see `action_figures`). Mailings are not included yet."""
    end = latest_day() or local_today()
    months = _month_starts(end, 12)
    costs: dict[dt.date, Counter[str]] = defaultdict(Counter)
    counts: dict[dt.date, Counter[str]] = defaultdict(Counter)
    rows = (
        DailyFigure.objects.filter(
            organisation_id__in=_action_org_ids(scope), day__gte=months[0], day__lte=end
        )
        .exclude(deliveries_by_channel={})
        .only("day", "costs_by_channel", "deliveries_by_channel")
    )
    for r in rows:
        month = r.day.replace(day=1)
        costs[month].update(r.costs_by_channel)
        counts[month].update(r.deliveries_by_channel)
    return [
        MonthCosts(
            month=m,
            costs={c: round(costs[m].get(c, 0.0), 4) for c in CHANNELS},
            deliveries={c: counts[m].get(c, 0) for c in CHANNELS},
        )
        for m in months
    ]


def channel_labels() -> dict[str, str]:
    return {c: str(label) for c, label in Channel.choices}


def type_labels() -> dict[str, str]:
    return {t: str(label) for t, label in ActionType.choices}
