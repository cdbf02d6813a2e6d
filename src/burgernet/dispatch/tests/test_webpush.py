"""The webpush adapter and push accounts, against the mock provider's push service over HTTP.

Dispatch knows no subscriptions: these tests register their own push target resolver, the way
the public app does in its AppConfig.ready.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import ImproperlyConfigured

from burgernet.dispatch import push_targets
from burgernet.dispatch.accounts import provider_accounts
from burgernet.dispatch.mock import MockServer
from burgernet.dispatch.providers.base import OutgoingItem, ProviderAccount, ProviderError
from burgernet.dispatch.providers.webpush import WebPush, topic_for
from burgernet.dispatch.tests.conftest import mock_config, mock_messages, mock_stats
from burgernet.public.management.commands.vapid_keys import vapid_key_pair


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Phone:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = b"0123456789abcdef"

    @property
    def target(self) -> push_targets.PushTarget:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return push_targets.PushTarget(self.endpoint, b64(public), b64(self.auth), "nl")

    def decrypt(self, record: dict) -> dict:
        body = base64.b64decode(record["body"])
        return json.loads(
            http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm")
        )


class Targets:
    """A stand-in for the public app's subscription table."""

    def __init__(self) -> None:
        self.phones: dict[str, Phone] = {}
        self.gone: list[str] = []

    def resolve(self, addresses: list[str]) -> dict[str, push_targets.PushTarget]:
        return {a: self.phones[a].target for a in addresses if a in self.phones}

    def report_gone(self, address: str) -> None:
        self.gone.append(address)
        self.phones.pop(address, None)


@pytest.fixture
def targets() -> Iterator[Targets]:
    saved = (push_targets._resolver, push_targets._gone)
    registry = Targets()
    push_targets.register(resolve=registry.resolve, gone=registry.report_gone)
    yield registry
    push_targets._resolver, push_targets._gone = saved


@pytest.fixture
def vapid(settings) -> str:
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = vapid_key_pair()
    settings.VAPID_SUBJECT = "mailto:test@burgernet.invalid"
    return settings.VAPID_PRIVATE_KEY


def item(address: str, key: str, *, ttl: int = 600, expires_in: float = 600) -> OutgoingItem:
    return OutgoingItem(
        delivery_id=1,
        idempotency_key=key,
        address=address,
        payload={
            "push": {
                "ttl": ttl,
                "urgency": "high",
                "expires_at": time.time() + expires_in,
                "messages": {"nl": {"text": "Let op", "lang": "nl"}},
            }
        },
    )


def adapter(**options: object) -> WebPush:
    return WebPush(ProviderAccount(name="push", channel="push", adapter="webpush", options=options))


def test_a_resent_push_replaces_the_first_instead_of_doubling_it(
    mock_provider: MockServer, targets: Targets, vapid: str
) -> None:
    phone = Phone(f"{mock_provider.url}/push/phone-1")
    targets.phones["sub:1"] = phone
    push = adapter()
    # The same delivery twice: a worker died after posting, the sweeper handed it out again.
    first = push.send_batch([item("sub:1", "k" * 40)])
    again = push.send_batch([item("sub:1", "k" * 40)])

    assert [r.outcome for r in first + again] == ["accepted", "accepted"]
    (record,) = mock_messages(mock_provider, channel="push")
    assert record["topic"] == topic_for("k" * 40) == "k" * 32
    assert phone.decrypt(record) == {"text": "Let op", "lang": "nl"}
    assert mock_stats(mock_provider)["accounts"]["push"]["duplicates"] == 1


def test_gone_and_unknown_subscriptions_are_permanent(
    mock_provider: MockServer, targets: Targets, vapid: str
) -> None:
    targets.phones["sub:1"] = Phone(f"{mock_provider.url}/push/alive")
    targets.phones["sub:2"] = Phone(f"{mock_provider.url}/push/dead")
    mock_config(mock_provider, push_gone=["dead"])

    results = adapter().send_batch(
        [item("sub:1", "a" * 40), item("sub:2", "b" * 40), item("sub:3", "c" * 40)]
    )

    outcome = {r.idempotency_key[0]: (r.outcome, r.error) for r in results}
    assert outcome["a"][0] == "accepted"
    assert outcome["b"][0] == "permanent" and "410" in outcome["b"][1]
    assert outcome["c"][0] == "permanent" and "no longer exists" in outcome["c"][1]
    assert targets.gone == ["sub:2"]  # reported once, for the one the push service refused


def test_a_batch_that_fails_entirely_is_a_provider_error(
    mock_provider: MockServer, targets: Targets, vapid: str
) -> None:
    targets.phones["sub:1"] = Phone(f"{mock_provider.url}/push/a")
    targets.phones["sub:2"] = Phone(f"{mock_provider.url}/push/b")
    mock_config(mock_provider, down=["push"])

    with pytest.raises(ProviderError, match="503"):
        adapter().send_batch([item("sub:1", "a" * 40), item("sub:2", "b" * 40)])


def test_an_expired_alert_is_not_sent_and_ttl_shrinks_with_age(
    mock_provider: MockServer, targets: Targets, vapid: str
) -> None:
    targets.phones["sub:1"] = Phone(f"{mock_provider.url}/push/late")

    (late,) = adapter().send_batch([item("sub:1", "a" * 40, expires_in=-1)])
    (aged,) = adapter().send_batch([item("sub:1", "b" * 40, ttl=3600, expires_in=100)])

    assert late.outcome == "permanent" and "expired" in late.error
    assert aged.outcome == "accepted"
    (record,) = mock_messages(mock_provider, channel="push")
    assert 95 <= record["ttl"] <= 100


def test_the_mock_refuses_a_push_without_a_valid_vapid_signature(
    mock_provider: MockServer, targets: Targets, vapid: str
) -> None:
    import httpx

    response = httpx.post(
        f"{mock_provider.url}/push/x",
        content=b"xx",
        headers={
            "TTL": "60",
            "Content-Encoding": "aes128gcm",
            "Authorization": "vapid t=a.b.c,k=d",
        },
    )
    assert response.status_code == 401


def test_push_accounts_from_configuration(settings, vapid: str) -> None:
    settings.DEMO_MODE = False
    settings.PROVIDER_ACCOUNTS = "[]"
    (default,) = provider_accounts("push")
    assert (default.name, default.adapter, default.exercise) == ("webpush", "webpush", False)

    settings.PROVIDER_ACCOUNTS = json.dumps(
        [{"name": "own", "channel": "push", "adapter": "webpush", "batch_size": 20}]
    )
    assert [a.name for a in provider_accounts("push")] == ["own"]

    settings.VAPID_PRIVATE_KEY = ""
    settings.PROVIDER_ACCOUNTS = "[]"
    assert provider_accounts("push") == []  # no keys: no app push at all


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        (
            {"exercise": True},
            r"PROVIDER_ACCOUNTS\[p\].options.push_service_url is required for an exercise",
        ),
        ({"options": {"vapid_private_key": "not-a-key"}}, "VAPID private key is not valid"),
        ({"options": {"vapid_private_key_env": "NO_SUCH_VAPID_VAR"}}, "NO_SUCH_VAPID_VAR"),
        ({"options": {"subject": "beheer"}}, "VAPID_SUBJECT 'beheer' is not usable"),
    ],
)
def test_bad_push_accounts_are_refused_at_start(settings, vapid: str, entry, error) -> None:
    settings.PROVIDER_ACCOUNTS = json.dumps(
        [{"name": "p", "channel": "push", "adapter": "webpush", **entry}]
    )
    with pytest.raises(ImproperlyConfigured, match=error):
        provider_accounts()


def test_without_vapid_keys_a_real_push_account_is_refused(settings) -> None:
    settings.VAPID_PRIVATE_KEY = ""
    settings.PROVIDER_ACCOUNTS = json.dumps(
        [{"name": "p", "channel": "push", "adapter": "webpush"}]
    )
    with pytest.raises(ImproperlyConfigured, match="vapid_keys"):
        provider_accounts()
