"""Every dashboard figure checked against an independent computation over the raw rows of
the fixed dataset (conftest.py): Python over the model rows, not the service's queries."""

from __future__ import annotations

import datetime as dt
import statistics
from zoneinfo import ZoneInfo

import pytest

from burgernet.actions.models import Action, ActionRecipient, ActionStatus, Response
from burgernet.dashboard import selectors, services
from burgernet.dashboard.models import DailyFigure
from burgernet.dashboard.tests.conftest import DAY, days_before
from burgernet.participants.models import CounterKind, Location, Participant, RegistryCounter

AMS = ZoneInfo("Europe/Amsterdam")


def local(d: dt.datetime | None) -> dt.date | None:
    return d.astimezone(AMS).date() if d else None


def raw_participants(region_ids: set[int], day: dt.date) -> list[Participant]:
    """Participants with a place in `region_ids` who are active at the end of `day`."""
    out = []
    for p in Participant.objects.all():
        regions = {loc.region_id for loc in Location.objects.filter(participant=p)}
        if not regions & region_ids:
            continue
        confirmed = local(p.confirmed_at)
        deactivated = local(p.deactivated_at)
        if confirmed is None or confirmed > day:
            continue
        if deactivated is not None and deactivated <= day:
            continue
        if p.paused_until is not None and p.paused_until >= day:
            continue
        out.append(p)
    return out


def raw_channels(people: list[Participant]) -> dict[str, int]:
    voice = sum(1 for p in people if any(ph.voice and ph.verified_at for ph in p.phones.all()))
    sms = sum(1 for p in people if any(ph.sms and ph.verified_at for ph in p.phones.all()))
    email = sum(1 for p in people if p.email_confirmed_at and not p.email_unreachable)
    return {"voice": voice, "sms": sms, "email": email}


def raw_actions(*, centre_ids: set[int] | None = None, region_ids: set[int] | None = None):
    out = []
    for a in Action.objects.all():
        if a.exercise or a.status == ActionStatus.DRAFT or a.started_at is None:
            continue
        if centre_ids is not None and a.dispatch_centre_id not in centre_ids:
            continue
        if region_ids is not None and not {r.pk for r in a.regions.all()} & region_ids:
            continue
        out.append(a)
    return out


def raw_action_stats(actions: list[Action]) -> dict[str, object]:
    responded = [a for a in actions if Response.objects.filter(action=a).exists()]
    success = [
        a for a in actions if a.outcome in ("found", "apprehended") and a.participant_contributed
    ]
    delays = []
    for a in responded:
        first = min(r.at for r in Response.objects.filter(action=a))
        delays.append((first - a.started_at).total_seconds())
    reached = sum(
        len({r.participant_id for r in ActionRecipient.objects.filter(action=a)}) for a in actions
    )
    return {
        "total": len(actions),
        "responded": len(responded),
        "succeeded": len(success),
        "median": statistics.median(delays) if delays else None,
        "reached": reached,
        "responses": sum(Response.objects.filter(action=a).count() for a in actions),
    }


@pytest.mark.django_db
def test_participants_now_match_the_raw_rows_per_municipality(world, staff_of):
    for org in (world.a, world.b, world.c):
        scope = selectors.dashboard_scope(user=staff_of(org))
        now = selectors.participants_now(scope=scope)
        people = raw_participants({org.region_id}, DAY)
        assert now.day == DAY
        assert now.total == len(people)
        assert now.per_1000 == round(len(people) * 1000 / org.inhabitants, 2)
        assert now.by_channel == raw_channels(people)
        for source in ("web", "paper", "staff", "import", "demo"):
            assert now.by_source[source] == sum(1 for p in people if p.source == source)
    # The fixture is not trivial: in A two of six confirmed are out (deactivated, paused).
    assert (
        selectors.participants_now(scope=selectors.dashboard_scope(user=staff_of(world.a))).total
        == 3
    )


@pytest.mark.django_db
def test_unit_and_national_sum_their_municipalities(world, staff_of):
    unit = selectors.participants_now(scope=selectors.dashboard_scope(user=staff_of(world.centre1)))
    regions = {world.a.region_id, world.b.region_id}
    # Cor has places in A and B: one person, but a participant of both municipalities.
    expected = len(raw_participants({world.a.region_id}, DAY)) + len(
        raw_participants({world.b.region_id}, DAY)
    )
    assert unit.total == expected
    assert len(raw_participants(regions, DAY)) == expected - 1
    national = selectors.participants_now(
        scope=selectors.dashboard_scope(user=staff_of(world.national))
    )
    assert national.total == expected + len(raw_participants({world.c.region_id}, DAY))
    assert national.inhabitants == 80_000


@pytest.mark.django_db
def test_sign_ups_and_sign_offs_per_day_and_week(world, staff_of):
    scope = selectors.dashboard_scope(user=staff_of(world.a))
    daily = {
        f.start: f for f in selectors.participant_flow(scope=scope, period="daily", periods=41)
    }
    region = world.a.region_id
    for n in range(41):
        day = days_before(n)
        ups = [
            p
            for p in Participant.objects.filter(locations__region_id=region).distinct()
            if local(p.confirmed_at) == day
        ]
        offs = [
            p
            for p in Participant.objects.filter(locations__region_id=region).distinct()
            if local(p.deactivated_at) == day
        ]
        erased = sum(
            c.count
            for c in RegistryCounter.objects.filter(
                date=day, region_code="GM0001", kind=CounterKind.SIGNOFF
            )
        )
        assert daily[day].signups == len(ups), day
        assert daily[day].signoffs == len(offs) + erased, day
    assert daily[DAY].signups == 1 and daily[DAY].signoffs == 3
    weekly = selectors.participant_flow(scope=scope, period="weekly", periods=8)
    assert all(w.start.weekday() == 0 for w in weekly)
    assert sum(w.signups for w in weekly) == sum(
        f.signups for d, f in daily.items() if d >= weekly[0].start
    )


@pytest.mark.django_db
def test_action_figures_for_a_municipality_count_actions_touching_it(world, staff_of):
    scope = selectors.dashboard_scope(user=staff_of(world.a))
    figures = selectors.action_figures(scope=scope)
    raw = raw_action_stats(raw_actions(region_ids={world.a.region_id}))
    assert figures.total == raw["total"] == 2  # exercise and draft left out
    assert figures.responded == raw["responded"]
    assert figures.succeeded == raw["succeeded"]
    assert figures.median_first_response_s == raw["median"]
    assert figures.recipients == raw["reached"]
    assert figures.responses == raw["responses"]
    assert figures.response_rate == 0.5
    march = dt.date(2026, 3, 1)
    assert figures.by_month_type[march] == {"missing_child": 1, "robbery": 1}


@pytest.mark.django_db
def test_action_figures_of_a_unit_count_an_action_once(world, staff_of):
    # The robbery touched A and B; the unit sees it once (via its dispatch centre).
    scope = selectors.dashboard_scope(user=staff_of(world.unit1))
    figures = selectors.action_figures(scope=scope)
    actions = raw_actions(centre_ids={world.centre1.pk})
    raw = raw_action_stats(actions)
    assert figures.total == raw["total"] == 3
    assert figures.responded == raw["responded"] == 2
    assert figures.succeeded == raw["succeeded"] == 2
    assert figures.success_rate == round(2 / 3, 4)
    assert figures.median_first_response_s == raw["median"]
    feb = dt.date(2026, 1, 1)  # DAY - 40 days = 29 January
    assert figures.by_month_type[feb] == {"theft": 1}
    national = selectors.action_figures(
        scope=selectors.dashboard_scope(user=staff_of(world.national))
    )
    assert national.total == len(raw_actions()) == 4
    assert national.outcomes["apprehended"] == 2


@pytest.mark.django_db
def test_weekly_report_matches_the_actions_of_that_week(world, staff_of):
    scope = selectors.dashboard_scope(user=staff_of(world.centre1))
    monday = DAY - dt.timedelta(days=DAY.weekday())
    week = selectors.weekly_report(scope=scope, week_start=monday)
    actions = [
        a for a in raw_actions(centre_ids={world.centre1.pk}) if local(a.started_at) >= monday
    ]
    raw = raw_action_stats(actions)
    assert sum(d.actions for d in week) == raw["total"] == 2
    assert sum(d.recipients for d in week) == raw["reached"] == 3
    assert sum(d.responses for d in week) == raw["responses"]
    assert sum(d.responded for d in week) == raw["responded"]
    day = next(d for d in week if d.day == DAY)
    assert day.outcomes["found"] == 1 and day.outcomes["no_result"] == 1


@pytest.mark.django_db
def test_benchmark_ranks_on_aggregates(world, staff_of):
    rates = {
        org.code: len(raw_participants({org.region_id}, DAY)) * 1000 / org.inhabitants
        for org in (world.a, world.b, world.c)
    }
    ordered = sorted(rates, key=rates.get, reverse=True)
    bench = selectors.benchmark(municipality=world.b)
    assert bench is not None
    assert bench.rank == ordered.index("GM0002") + 1
    assert bench.of == 3
    assert bench.percentile == round(
        100 * sum(1 for v in rates.values() if v < rates["GM0002"]) / 3, 1
    )
    # 40,000 inhabitants: the 20k–50k group, which also holds C (30,000).
    assert bench.group == (20_000, 50_000)
    assert bench.group_of == 2
    assert bench.group_median_per_1000 == round(
        statistics.median([rates["GM0002"], rates["GM0003"]]), 2
    )
    # A (10,000 inhabitants) has the highest rate; half the national rate marks a white spot.
    flagged = {r.code: r.white_spot for r in selectors.municipality_rates()}
    national = (
        sum(len(raw_participants({o.region_id}, DAY)) for o in (world.a, world.b, world.c))
        * 1000
        / 80_000
    )
    assert flagged == {code: rate < national / 2 for code, rate in rates.items()}


@pytest.mark.django_db
def test_coverage_cells_count_participants_per_r7_cell(world, staff_of):
    scope = selectors.dashboard_scope(user=staff_of(world.a))
    cells = selectors.coverage_cells(scope=scope)
    assert cells is not None
    counts = {f["properties"]["cell"]: f["properties"]["participants"] for f in cells["features"]}
    import h3

    people = raw_participants({world.a.region_id}, DAY)
    expected: dict[str, set[int]] = {}
    for loc in Location.objects.filter(region_id=world.a.region_id, participant__in=people):
        expected.setdefault(h3.int_to_str(loc.h3_r7), set()).add(loc.participant_id)
    assert {c: n for c, n in counts.items() if n} == {c: len(s) for c, s in expected.items()}
    # The rest of the municipality's cells are white spots.
    assert any(f["properties"]["white_spot"] for f in cells["features"])


@pytest.mark.django_db
def test_rebuild_is_idempotent_and_keeps_one_row_per_organisation_and_day(world):
    def snapshot():
        return sorted(
            DailyFigure.objects.filter(day=DAY).values_list(
                "organisation_id",
                "participants",
                "signups",
                "signoffs",
                "actions_total",
                "actions_by_type",
                "first_response_seconds",
                "participants_by_channel",
            )
        )

    before = snapshot()
    services.aggregates_rebuild(day=DAY)
    assert snapshot() == before
    assert DailyFigure.objects.filter(day=DAY).count() == 5  # 3 municipalities + 2 centres


@pytest.mark.django_db
def test_contribution_uses_the_configured_rate(world, staff_of, settings):
    scope = selectors.dashboard_scope(user=staff_of(world.unit1))
    settings.CONTRIBUTION_PER_INHABITANT_EUR = 0.0
    assert selectors.contribution_eur(scope=scope) is None
    settings.CONTRIBUTION_PER_INHABITANT_EUR = 0.12
    assert selectors.contribution_eur(scope=scope) == round(50_000 * 0.12, 2)


def raw_costs(actions: list[Action]) -> tuple[dict[str, float], dict[str, int]]:
    from burgernet.dispatch.models import Delivery

    ids = {str(a.pk) for a in actions}
    costs: dict[str, float] = {}
    counts: dict[str, int] = {}
    for d in Delivery.objects.select_related("message"):
        if d.sent_at is None or d.message.source_type != "action" or d.message.exercise:
            continue
        if d.message.source_id not in ids:
            continue
        costs[d.channel] = costs.get(d.channel, 0.0) + float(d.cost or 0)
        counts[d.channel] = counts.get(d.channel, 0) + 1
    return costs, counts


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["a", "b", "c", "unit1", "national"])
def test_message_costs_per_channel_match_the_deliveries(world, staff_of, who):
    org = getattr(world, who)
    scope = selectors.dashboard_scope(user=staff_of(org))
    if scope.kind == "municipality":
        actions = raw_actions(region_ids={org.region_id})
    else:
        actions = raw_actions(centre_ids=set(scope.centre_ids))
    costs, counts = raw_costs(actions)
    march = next(m for m in selectors.message_costs(scope=scope) if m.month == dt.date(2026, 3, 1))
    for channel in ("sms", "voice", "email"):
        assert march.costs[channel] == pytest.approx(costs.get(channel, 0.0))
        assert march.deliveries[channel] == counts.get(channel, 0)
    if who == "national":
        # sent, non-exercise action messages only: 0.07 + 0.14 + 0.07 SMS, 0.12 voice
        assert march.costs["sms"] == pytest.approx(0.28)
        assert march.deliveries == {"voice": 1, "sms": 3, "email": 0}


# --- Burgernetmail --------------------------------------------------------------------------


def raw_mail(sender_ids: set[int], region_ids: set[int], first: dt.date, last: dt.date):
    """Burgernetmail figures straight from the mailing, delivery, reply, bounce and
    preference rows, in Python."""
    from burgernet.dispatch.models import Delivery
    from burgernet.mailings.models import MailBounce, Mailing, MailPreference

    now = dt.datetime.now(dt.UTC)
    out = dict.fromkeys(
        (
            "sent",
            "recipients",
            "delivered",
            "bounced",
            "reply_enabled",
            "recipients_reply_enabled",
            "replies",
            "replied",
            "unsubscribes",
        ),
        0,
    )
    kinds: dict[str, int] = {}
    for m in Mailing.objects.all():
        if m.organisation_id not in sender_ids or m.status == "draft" or m.sent_at is None:
            continue
        if m.sent_at > now or not first <= local(m.sent_at) <= last:
            continue
        deliveries = list(Delivery.objects.filter(message_id=m.message_id))
        out["sent"] += 1
        kinds[m.kind] = kinds.get(m.kind, 0) + 1
        out["recipients"] += len(deliveries)
        for d in deliveries:
            reported = any(
                d.sent_at <= b.received_at < d.sent_at + dt.timedelta(days=3)
                for b in MailBounce.objects.filter(participant_id=d.recipient_ref)
                if d.sent_at is not None
            )
            if d.state in ("sent", "delivered"):
                out["delivered" if not reported else "bounced"] += 1
            elif d.state in ("failed", "undeliverable") and d.error not in (
                "unsubscribed",
                "erased",
            ):
                out["bounced"] += 1
        if m.allow_replies:
            replies = m.replies.count()
            out["reply_enabled"] += 1
            out["recipients_reply_enabled"] += len(deliveries)
            out["replies"] += replies
            out["replied"] += 1 if replies else 0
    for pref in MailPreference.objects.exclude(unsubscribed_at=None):
        if not first <= local(pref.unsubscribed_at) <= last:
            continue
        regions = {loc.region_id for loc in Location.objects.filter(participant=pref.participant)}
        out["unsubscribes"] += len(regions & region_ids)  # once per municipality, as totals
    return out, kinds


@pytest.mark.parametrize("who", ["a", "b", "c", "unit1", "national", "team1"])
@pytest.mark.django_db
def test_mail_figures_match_the_raw_rows(world, staff_of, who):
    org = getattr(world, who)
    scope = selectors.dashboard_scope(user=staff_of(org))
    figures = selectors.mail_figures(scope=scope)
    first = figures.months[0].month
    senders = set(scope.municipality_ids) | set(scope.basic_team_ids)
    regions = set(
        world.a.__class__.objects.filter(pk__in=scope.municipality_ids).values_list(
            "region_id", flat=True
        )
    )
    raw, kinds = raw_mail(senders, regions, first, DAY)
    assert raw["sent"] > 0
    got = {
        "sent": figures.sent,
        "recipients": figures.recipients,
        "delivered": figures.delivered,
        "bounced": figures.bounced,
        "reply_enabled": figures.reply_enabled,
        "recipients_reply_enabled": figures.recipients_reply_enabled,
        "replies": figures.replies,
        "replied": figures.replied,
        "unsubscribes": figures.unsubscribes,
    }
    assert got == raw
    by_kind: dict[str, int] = {}
    for m in figures.months:
        for k, n in m.by_kind.items():
            by_kind[k] = by_kind.get(k, 0) + n
    assert by_kind == kinds
    assert figures.replies_per_recipient == (
        round(raw["replies"] / raw["recipients_reply_enabled"], 4)
        if raw["recipients_reply_enabled"]
        else None
    )
    assert figures.replied_share == (
        round(raw["replied"] / raw["reply_enabled"], 4) if raw["reply_enabled"] else None
    )


@pytest.mark.django_db
def test_mail_figures_of_municipality_a_in_numbers(world, staff_of):
    """The dataset by hand, so a wrong independent computation cannot hide a wrong figure."""
    figures = selectors.mail_figures(scope=selectors.dashboard_scope(user=staff_of(world.a)))
    # Day's inquiry (4 recipients: 1 delivered, 1 bounce report, 1 refused, 1 cancelled) and
    # the newsletter 40 days before (2 delivered, no reply button); not the draft, not the
    # one scheduled for tomorrow.
    assert (figures.sent, figures.recipients, figures.delivered, figures.bounced) == (2, 6, 3, 2)
    assert (figures.reply_enabled, figures.replies, figures.replied) == (1, 3, 1)
    assert figures.replies_per_recipient == 0.75
    assert figures.replied_share == 1.0
    assert figures.unsubscribes == 1
    unit = selectors.mail_figures(scope=selectors.dashboard_scope(user=staff_of(world.unit1)))
    # + b's prevention mail and the basic team's inquiry; Cor's unsubscribe in a and in b.
    assert (unit.sent, unit.replies, unit.replied, unit.unsubscribes) == (4, 4, 2, 2)


@pytest.mark.django_db
def test_late_replies_and_bounces_reach_the_figures_on_refresh(world, staff_of):
    from burgernet.mailings.models import Mailing, MailReply

    mailing = Mailing.objects.get(organisation=world.b)
    MailReply.objects.create(
        mailing=mailing, text="Later gezien", received_at=mailing.sent_at + dt.timedelta(days=5)
    )
    scope = selectors.dashboard_scope(user=staff_of(world.b))
    assert selectors.mail_figures(scope=scope).replies == 0  # aggregates, not raw rows
    assert services.mail_figures_refresh(days=3) > 0
    assert selectors.mail_figures(scope=scope).replies == 1
    # The scheduled mailing counts once its day is rebuilt after it went out.
    today = DAY + dt.timedelta(days=1)
    services.aggregates_rebuild(day=today)
    assert DailyFigure.objects.get(organisation=world.a, day=today).mailings_sent == 0
