"""Configuration, progress, metrics, e-mail and the task wake-up."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from burgernet.accounts.tests.factories import StaffUserFactory
from burgernet.dispatch import services
from burgernet.dispatch.accounts import provider_accounts
from burgernet.dispatch.models import Delivery, DeliveryState, Lane
from burgernet.dispatch.tests.conftest import gateway_account


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ("{not json", "not valid JSON"),
        ([{"name": "a", "channel": "fax", "adapter": "generic_http_sms"}], "channel 'fax'"),
        ([{"name": "a", "channel": "sms", "adapter": "nope"}], "adapter 'nope' is unknown"),
        ([{"name": "a", "channel": "voice", "adapter": "generic_http_sms"}], "sends sms"),
        ([{"channel": "sms", "adapter": "generic_http_sms"}], "PROVIDER_ACCOUNTS[0].name"),
        (
            [
                {"name": "a", "channel": "sms", "adapter": "generic_http_sms"},
                {"name": "a", "channel": "sms", "adapter": "generic_http_sms"},
            ],
            "used twice",
        ),
    ],
)
def test_bad_provider_configuration_names_the_field(settings, entries, message) -> None:
    settings.PROVIDER_ACCOUNTS = entries if isinstance(entries, str) else json.dumps(entries)
    with pytest.raises(ImproperlyConfigured, match=message.replace("[", r"\[").replace("]", r"\]")):
        provider_accounts()


def test_secret_comes_from_the_environment(settings, monkeypatch) -> None:
    entry = gateway_account("a", "http://127.0.0.1:1")
    entry["options"] = {"url": "http://x", "secret_env": "GATEWAY_SECRET_FOR_TEST"}
    settings.PROVIDER_ACCOUNTS = json.dumps([entry])
    (account,) = provider_accounts("sms")
    with pytest.raises(ImproperlyConfigured, match="GATEWAY_SECRET_FOR_TEST"):
        account.option("secret")
    monkeypatch.setenv("GATEWAY_SECRET_FOR_TEST", "s3cret")
    assert account.option("secret") == "s3cret"


def test_demo_mode_points_at_the_mock_provider(settings) -> None:
    settings.DEMO_MODE = True
    settings.PROVIDER_ACCOUNTS = ""
    settings.MOCK_PROVIDER_URL = "http://127.0.0.1:8025"
    accounts = provider_accounts()
    # Push, broadcast and partner webhooks have accounts of their own; their targets are the mock.
    assert {a.channel for a in accounts} == {
        "sms",
        "voice",
        "email",
        "push",
        "broadcast",
        "webhook",
    }
    assert all(
        a.options.get(
            "url", a.options.get("base_url", a.options.get("push_service_url", ""))
        ).startswith("http://127.0.0.1:8025")
        for a in accounts
        if a.channel in ("sms", "voice")
    )


@pytest.mark.django_db
def test_email_goes_out_as_html_with_a_text_part(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PROVIDER_ACCOUNTS = "[]"
    services.reset_provider_state()
    with transaction.atomic():
        message = services.message_create(
            kind="mailing",
            lane=Lane.BULK,
            email_subject="Buurtonderzoek",
            email_text="Heeft u iets gezien?",
            email_html="<p>Heeft u iets gezien?</p>",
        )
        services.deliveries_enqueue(message=message, recipients=[("email", "a@example.org", 1)])

    services.deliveries_drain(channel="email")

    (sent,) = mail.outbox
    assert sent.subject == "Buurtonderzoek" and sent.to == ["a@example.org"]
    assert sent.alternatives[0][1] == "text/html"
    assert Delivery.objects.get().state == DeliveryState.SENT


@pytest.mark.django_db
def test_progress_counts_per_channel_and_state(login_client, mock_provider, configure_accounts):
    configure_accounts(gateway_account("gw-1", mock_provider.url))
    with transaction.atomic():
        message = services.message_create(
            kind="action_start", lane=Lane.URGENT, sms_text="Let op", voice_text="Let op"
        )
        services.deliveries_enqueue(
            message=message,
            recipients=[
                ("sms", "+31612345678", 1),
                ("sms", "bad", 2),
                ("voice", "+31201234567", 1),
            ],
        )
    services.deliveries_drain(channel="sms")
    client = login_client(StaffUserFactory(roles=["dispatcher"]))

    body = client.get(f"/dispatch/messages/{message.pk}/progress").json()

    assert body["channels"]["sms"]["sent"] == 1
    assert body["channels"]["sms"]["undeliverable"] == 1
    assert body["channels"]["voice"]["queued"] == 1


@pytest.mark.django_db
def test_progress_needs_a_signed_in_staff_member(client) -> None:
    assert client.get("/dispatch/messages/1/progress").status_code == 302


@pytest.mark.django_db
def test_metrics_endpoint_shows_outbox_states(client, mock_provider, configure_accounts) -> None:
    configure_accounts(gateway_account("gw-1", mock_provider.url))
    with transaction.atomic():
        message = services.message_create(kind="x", sms_text="hoi")
        services.deliveries_enqueue(
            message=message,
            recipients=[("sms", "+31612345678", None), ("sms", "+31612345679", None)],
        )

    before = client.get("/metrics").content.decode()
    services.deliveries_drain(channel="sms")
    after = client.get("/metrics").content.decode()

    assert 'burgernet_deliveries_backlog{channel="sms",state="queued"} 2.0' in before
    assert 'burgernet_deliveries_oldest_due_seconds{channel="sms"}' in before
    assert 'state="queued"' not in after
    assert 'burgernet_deliveries_sent_total{account="gw-1",channel="sms"}' in after


@pytest.mark.django_db(transaction=True)
def test_enqueue_outside_a_transaction_is_refused() -> None:
    message = services.message_create(kind="x", sms_text="hoi")
    with pytest.raises(transaction.TransactionManagementError):
        services.deliveries_enqueue(message=message, recipients=[("sms", "+31612345678", None)])
    assert Delivery.objects.count() == 0


def _reset_task_backends() -> None:
    from django_tasks import task_backends

    task_backends._settings = None
    task_backends.__dict__.pop("settings", None)
    if hasattr(task_backends._connections, "default"):
        del task_backends["default"]


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["urgent", "default", "bulk"],
        }
    }
    _reset_task_backends()
    yield
    _reset_task_backends()


@pytest.mark.django_db(transaction=True)
def test_commit_wakes_a_worker_on_the_message_lane(
    immediate_tasks, mock_provider, configure_accounts
) -> None:
    """With the immediate task backend the wake-up task runs on commit and sends."""
    configure_accounts(gateway_account("gw-1", mock_provider.url))
    with transaction.atomic():
        message = services.message_create(kind="action_start", lane=Lane.URGENT, sms_text="hoi")
        services.deliveries_enqueue(message=message, recipients=[("sms", "+31612345678", None)])
        assert Delivery.objects.get().state == DeliveryState.QUEUED  # nothing before commit
    assert Delivery.objects.get().state == DeliveryState.SENT


@pytest.mark.django_db
def test_demo_accounts_send_through_the_mock_provider(settings, mock_provider) -> None:
    """The embedded run's defaults: both SMS accounts and the voice account reach the mock."""
    settings.DEMO_MODE = True
    settings.PROVIDER_ACCOUNTS = ""
    settings.MOCK_PROVIDER_URL = mock_provider.url
    settings.DISPATCH_WEBHOOK_BASE_URL = "http://testserver"
    services.reset_provider_state()
    with transaction.atomic():
        message = services.message_create(
            kind="action_start", lane=Lane.URGENT, sms_text="Let op", voice_text="Let op"
        )
        services.deliveries_enqueue(
            message=message,
            recipients=[("sms", f"+3161000{i:04d}", None) for i in range(300)]
            + [("voice", "+31201234567", None)],
        )

    services.deliveries_drain(channel="sms")
    services.deliveries_drain(channel="voice")

    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
    accounts = set(Delivery.objects.values_list("provider_account", flat=True))
    assert {"mock-sms-1", "mock-sms-2", "mock-voice-1"} <= accounts
    services.reset_provider_state()
