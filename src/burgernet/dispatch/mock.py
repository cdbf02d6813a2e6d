"""The mock provider: a real HTTP server on loopback for development, tests and benchmarks.

It speaks the generic batch gateway (`POST /sms/batch`, `POST /voice/batch`) and a subset of
Twilio's API (`POST /2010-04-01/Accounts/<sid>/Messages.json` and `Calls.json`), records every
accepted message, accepts each idempotency key once (a repeat gets the first answer back and
reaches nobody), and sends signed delivery receipts to the callback URL it was given.

It is also a Web Push service (RFC 8030): `POST /push/<token>` takes one encrypted push, checks
the VAPID signature, the `TTL` header and the aes128gcm encoding, records the headers (TTL,
Urgency, Topic), the body size and the body (base64, so a test holding the subscription's
keys can decrypt it) and answers 201 with a Location. A push with the same token and Topic as
an earlier one replaces it instead of being recorded twice, as a push service does with an
undelivered message. Config `push_gone: [token]` answers 410 (the subscription is gone) and
`push_fail: {token: [500, 429]}` answers those statuses to the next requests, one each.

Control it over HTTP:
    GET  /_mock/messages[?account=&to=&channel=]   what was accepted
    GET  /_mock/stats                               counts and measured rate per account
    POST /_mock/config   {"fail_share": 0.2, "fail_statuses": [500, 429], "latency_ms": 0,
                          "down": ["acc"], "rate_limits": {"acc": 100}, "receipts": true,
                          "secrets": {"acc": "..."}, "twilio_auth_token": "...",
                          "partner_secrets": {"name": "..."}, "script": {"name": [500, 200]}}
    POST /_mock/reset

Broadcast and partner webhooks (the account name is the target's or partner's name, so
"down", "fail_share" and "rate_limits" work on them too):
    POST /broadcast/<name>   what an Apprise `json://127.0.0.1:<port>/broadcast/<name>` posts
    POST /partner/<name>     a signed partner webhook; 401 unless the signature verifies with
                             partner_secrets[name]; each X-Burgernet-Delivery is taken once
    GET  /_mock/requests     every request to those two, refused ones included
"script" answers the next requests of a name with the listed statuses, one per request.
"""

from __future__ import annotations

import base64
import json
import queue
import random
import re
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from py_vapid import Vapid
from twilio.request_validator import RequestValidator

from burgernet.dispatch.signing import SIGNATURE_HEADER, sign, verify, verify_signature
from burgernet.dispatch.sms import sms_segments
from burgernet.dispatch.targets import DEMO_PARTNER_SECRETS

PUSH_PATH = re.compile(r"^/push/(?P<token>[A-Za-z0-9_.~-]+)$")
TWILIO_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/(?P<kind>Messages|Calls)\.json$")
TARGET_PATH = re.compile(r"^/(?P<kind>broadcast|partner)/(?P<name>[^/]+)$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")

DEFAULT_CONFIG: dict[str, Any] = {
    "fail_share": 0.0,
    "fail_statuses": [500, 429],
    "retry_after": 1,
    "latency_ms": 0,
    "down": [],
    "rate_limits": {},
    "receipts": True,
    "secrets": {"mock-sms-1": "mock-sms-secret"},  # the demo account (accounts.py)
    "twilio_auth_token": "mock-twilio-token",
    "price": "0.065",
    "push_gone": [],
    "push_fail": {},
    "push_keep_bodies": True,
    "partner_secrets": dict(DEMO_PARTNER_SECRETS),  # the demo partners (targets.py)
    "script": {},
}


@dataclass
class _Bucket:
    rate: float
    tokens: float
    at: float


@dataclass
class MockState:
    config: dict[str, Any] = field(default_factory=lambda: json.loads(json.dumps(DEFAULT_CONFIG)))
    messages: list[dict[str, Any]] = field(default_factory=list)
    by_key: dict[str, dict[str, Any]] = field(default_factory=dict)
    counters: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    buckets: dict[str, _Bucket] = field(default_factory=dict)
    # Per account: (time, messages newly accepted) of every request that accepted any.
    batches: dict[str, list[tuple[float, int]]] = field(default_factory=lambda: defaultdict(list))
    # Every broadcast and partner webhook request, with the answer it got.
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    seq: int = 0
    # (channel, to, text) -> times accepted, kept as messages come in: /_mock/stats is polled
    # while a fan-out runs, and counting 50,000 messages per poll under the lock (≈15 ms each)
    # slowed the very requests being measured.
    recipients: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    more_than_once: int = 0

    def reset(self) -> None:
        with self.lock:
            self.config = json.loads(json.dumps(DEFAULT_CONFIG))
            self.messages.clear()
            self.recipients.clear()
            self.more_than_once = 0
            self.by_key.clear()
            self.counters.clear()
            self.buckets.clear()
            self.batches.clear()
            self.requests.clear()

    def scripted(self, name: str) -> int | None:
        """The next status scripted for `name`, if any (consumed)."""
        with self.lock:
            statuses = self.config["script"].get(name) or []
            return int(statuses.pop(0)) if statuses else None

    def gate(self, account: str, n: int) -> tuple[int, dict[str, str]] | None:
        """Refuse a request the way a provider would: down, injected failure, rate limit."""
        cfg = self.config
        with self.lock:
            self.counters[account]["requests"] += 1
            if account in cfg["down"] or "*" in cfg["down"]:
                self.counters[account]["down"] += 1
                return 503, {}
            if cfg["fail_share"] and random.random() < cfg["fail_share"]:  # noqa: S311
                status = int(random.choice(cfg["fail_statuses"]))  # noqa: S311
                self.counters[account][f"injected_{status}"] += 1
                return status, ({"Retry-After": str(cfg["retry_after"])} if status == 429 else {})
            rate = float(cfg["rate_limits"].get(account, 0))
            if rate > 0:
                now = time.monotonic()
                bucket = self.buckets.get(account)
                # "N per second" as providers count it: up to one second's worth at once
                # (and always room for one request), refilled continuously.
                size = max(rate, n)
                if bucket is None or bucket.rate != rate:
                    bucket = self.buckets[account] = _Bucket(rate, size, now)
                bucket.tokens = min(size, bucket.tokens + (now - bucket.at) * rate)
                bucket.at = now
                if bucket.tokens < n:
                    self.counters[account]["rate_limited"] += 1
                    wait = (n - bucket.tokens) / rate
                    return 429, {"Retry-After": f"{max(1, round(wait))}"}
                bucket.tokens -= n
        return None

    def accept(
        self,
        *,
        account: str,
        channel: str,
        key: str,
        to: str,
        text: str,
        callback: str,
        kind: str,
        extra: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Record one message once per key; (record, first time)."""
        # Like a real provider, an account knows only its own idempotency keys.
        scoped = f"{account}:{key}" if key else ""
        with self.lock:
            if scoped and scoped in self.by_key:
                self.counters[account]["duplicates"] += 1
                return self.by_key[scoped], False
            self.seq += 1
            prefix = {"twilio_sms": "SM", "twilio_voice": "CA"}.get(kind, "mock-")
            record = {
                "id": f"{prefix}{self.seq:032d}" if prefix != "mock-" else f"mock-{self.seq}",
                "account": account,
                "channel": channel,
                "kind": kind,
                "to": to,
                "text": text,
                "reference": key,
                "callback_url": callback,
                "segments": sms_segments(text)[1] if channel == "sms" else None,
                "at": time.time(),
                **(extra or {}),
            }
            self.messages.append(record)
            seen = (record["channel"], record["to"], record["text"])
            self.recipients[seen] += 1
            if self.recipients[seen] == 2:
                self.more_than_once += 1
            if scoped:
                self.by_key[scoped] = record
            self.counters[account]["accepted"] += 1
            return record, True

    def scripted_failure(self, token: str) -> int | None:
        """The next status `push_fail` asks for at this push token, if any (consumed)."""
        with self.lock:
            queued = self.config["push_fail"].get(token) or []
            if not queued:
                return None
            self.config["push_fail"][token] = queued[1:]
            self.counters["push"][f"scripted_{queued[0]}"] += 1
            return int(queued[0])

    def note_batch(self, account: str, accepted: int) -> None:
        if accepted:
            with self.lock:
                self.batches[account].append((time.time(), accepted))

    def stats(self) -> dict[str, Any]:
        with self.lock:
            per_account: dict[str, dict[str, Any]] = {}
            for account, counter in self.counters.items():
                # Rate as a provider sees it: messages after the first request over the time
                # since that request (the first request is a burst whatever the limit).
                batches = self.batches.get(account, [])
                span = batches[-1][0] - batches[0][0] if len(batches) > 1 else 0.0
                after_first = sum(n for _, n in batches[1:])
                per_account[account] = {
                    **counter,
                    "first_at": batches[0][0] if batches else None,
                    "last_at": batches[-1][0] if batches else None,
                    "rate": after_first / span if span > 0 else None,
                }
            return {
                "accepted": len(self.messages),
                "recipients_more_than_once": self.more_than_once,
                "accounts": per_account,
            }


class ReceiptSender(threading.Thread):
    """Posts delivery receipts back, signed, in the background (batched per callback URL)."""

    def __init__(self, state: MockState) -> None:
        super().__init__(daemon=True, name="mock-receipts")
        self.state = state
        self.queue: queue.Queue[tuple[dict[str, Any], str] | None] = queue.Queue()

    def run(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < 500:
                try:
                    nxt = self.queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self.queue.put(None)
                    break
                batch.append(nxt)
            self._send(batch)

    def _send(self, batch: list[tuple[dict[str, Any], str]]) -> None:
        generic: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for record, status in batch:
            url = record["callback_url"]
            if not url:
                continue
            if record["kind"].startswith("twilio"):
                self._post_twilio(record, status)
            else:
                generic[(url, record["account"])].append(
                    {"reference": record["reference"], "id": record["id"], "status": status}
                )
        for (url, account), receipts in generic.items():
            body = json.dumps({"receipts": receipts}).encode()
            secret = self.state.config["secrets"].get(account, "")
            headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body)}
            _post(url, body, headers)

    def _post_twilio(self, record: dict[str, Any], status: str) -> None:
        params = {"AccountSid": record["account"], "To": record["to"]}
        if record["kind"] == "twilio_sms":
            params |= {"MessageSid": record["id"], "MessageStatus": status}
        else:
            params |= {"CallSid": record["id"], "CallStatus": "completed"}
        url = record["callback_url"]
        validator = RequestValidator(self.state.config["twilio_auth_token"])
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": validator.compute_signature(url, params),
        }
        _post(url, urllib.parse.urlencode(params).encode(), headers)


def _post(url: str, body: bytes, headers: dict[str, str]) -> None:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5):  # noqa: S310
            pass
    except OSError:
        pass  # our webhook is down: a real provider would retry later; the mock just drops


class MockHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY every one-message request
    # (web push) waits ~40 ms for Nagle and the client's delayed ACK.
    disable_nagle_algorithm = True
    server: MockServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # --- plumbing ---
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply(
        self, status: int, payload: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        body = json.dumps(payload if payload is not None else {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _latency(self) -> None:
        ms = float(self.server.state.config.get("latency_ms") or 0)
        if ms > 0:
            time.sleep(ms / 1000)

    # --- routes ---
    def do_GET(self) -> None:
        parsed = urllib.parse.urlparse(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        state = self.server.state
        if parsed.path == "/_mock/messages":
            with state.lock:
                rows = [
                    m
                    for m in state.messages
                    if all(
                        m.get(k) == v for k, v in query.items() if k in ("account", "to", "channel")
                    )
                ]
            self._reply(200, {"count": len(rows), "messages": rows})
        elif parsed.path == "/_mock/requests":
            with state.lock:
                rows = list(state.requests)
            self._reply(200, {"count": len(rows), "requests": rows})
        elif parsed.path == "/_mock/stats":
            self._reply(200, state.stats())
        elif parsed.path == "/_mock/health":
            self._reply(200, {"status": "ok"})
        else:
            self._reply(404, {"error": "not found"})

    def do_POST(self) -> None:
        path = urllib.parse.urlparse(self.path).path
        body = self._body()
        state = self.server.state
        if path == "/_mock/reset":
            state.reset()
            self._reply(200, {"status": "reset"})
        elif path == "/_mock/config":
            changes = json.loads(body or b"{}")
            with state.lock:
                state.config.update(changes)
                state.buckets.clear()
            self._reply(200, state.config)
        elif path in ("/sms/batch", "/voice/batch"):
            self._generic(path, body)
        elif match := PUSH_PATH.match(path):
            self._push(match["token"], body)
        elif match := TWILIO_PATH.match(path):
            self._twilio(match["sid"], match["kind"], body)
        elif match := TARGET_PATH.match(path):
            self._target(match["kind"], match["name"], body)
        else:
            self._reply(404, {"error": "not found"})

    def _generic(self, path: str, body: bytes) -> None:
        state = self.server.state
        try:
            payload = json.loads(body)
        except ValueError:
            self._reply(400, {"error": "body is not JSON"})
            return
        account = self.headers.get("X-Account") or str(payload.get("account", ""))
        secret = state.config["secrets"].get(account)
        if secret and not verify(secret, body, self.headers.get(SIGNATURE_HEADER, "")):
            self._reply(401, {"error": "bad signature"})
            return
        channel = "sms" if path == "/sms/batch" else "voice"
        entries = payload.get("messages" if channel == "sms" else "calls") or []
        self._latency()
        refused = state.gate(account, len(entries))
        if refused:
            self._reply(refused[0], {"error": "refused"}, refused[1])
            return
        results = []
        new = 0
        callback = str(payload.get("callback_url") or "")
        for entry in entries:
            to, key = str(entry.get("to", "")), str(entry.get("reference", ""))
            if not E164.match(to):
                results.append({"reference": key, "status": "rejected", "error": "invalid number"})
                continue
            record, first = state.accept(
                account=account,
                channel=channel,
                key=key,
                to=to,
                text=str(entry.get("text", "")),
                callback=callback,
                kind=f"generic_{channel}",
            )
            results.append(
                {
                    "reference": key,
                    "status": "accepted",
                    "id": record["id"],
                    "segments": record["segments"],
                    "price": state.config["price"],
                }
            )
            new += first
            if first and state.config["receipts"]:
                self.server.receipts.queue.put((record, "delivered"))
        state.note_batch(account, new)
        self._reply(200, {"results": results})

    def _twilio(self, sid: str, kind: str, body: bytes) -> None:
        state = self.server.state
        auth = self.headers.get("Authorization", "")
        if (
            not auth.startswith("Basic ")
            or base64.b64decode(auth[6:]).decode().split(":")[0] != sid
        ):
            self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
            return
        form = dict(urllib.parse.parse_qsl(body.decode()))
        self._latency()
        refused = state.gate(sid, 1)
        if refused:
            status = refused[0]
            self._reply(
                status,
                {"code": 20429 if status == 429 else 20500, "message": "refused", "status": status},
                refused[1],
            )
            return
        to = form.get("To", "")
        if not E164.match(to):
            self._reply(
                400,
                {
                    "code": 21211,
                    "message": f"The 'To' number {to} is not a valid phone number.",
                    "status": 400,
                },
            )
            return
        channel = "sms" if kind == "Messages" else "voice"
        text = form.get("Body", "") if channel == "sms" else form.get("Twiml", "")
        record, first = state.accept(
            account=sid,
            channel=channel,
            key=self.headers.get("I-Twilio-Idempotency-Token", ""),
            to=to,
            text=text,
            callback=form.get("StatusCallback", ""),
            kind=f"twilio_{channel}",
        )
        state.note_batch(sid, int(first))
        if first and state.config["receipts"]:
            self.server.receipts.queue.put((record, "delivered"))
        payload: dict[str, Any] = {
            "sid": record["id"],
            "account_sid": sid,
            "to": to,
            "from": form.get("From", ""),
            "status": "queued",
        }
        if channel == "sms":
            payload |= {"body": text, "num_segments": str(record["segments"]), "price": None}
        self._reply(201, payload)

    def _push(self, token: str, body: bytes) -> None:
        """One Web Push message, as a push service (e.g. Mozilla's autopush) takes it."""
        state = self.server.state
        auth = self.headers.get("Authorization", "")
        try:
            valid = bool(Vapid.verify(auth))
            claims = json.loads(base64.urlsafe_b64decode(_pad(auth.split("t=")[1].split(".")[1])))
        except Exception:
            valid, claims = False, {}
        host = self.headers.get("Host", "")
        if not valid or claims.get("aud") != f"http://{host}" or not claims.get("sub"):
            self._reply(401, {"error": "VAPID authorization missing or invalid"})
            return
        ttl = self.headers.get("TTL", "")
        if not ttl.isdigit():
            self._reply(400, {"error": "TTL header required"})
            return
        if self.headers.get("Content-Encoding") != "aes128gcm" or not body:
            self._reply(415, {"error": "aes128gcm body required"})
            return
        self._latency()
        status = state.scripted_failure(token)
        if status is None and token in state.config["push_gone"]:
            status = 410
        if status is None:
            refused = state.gate("push", 1)
            if refused:
                self._reply(refused[0], {"error": "refused"}, refused[1])
                return
        if status is not None:
            retry = {"Retry-After": str(state.config["retry_after"])} if status == 429 else {}
            self._reply(status, {"error": "scripted"}, retry)
            return
        topic = self.headers.get("Topic", "")
        record, first = state.accept(
            account="push",
            channel="push",
            key=f"{token}:{topic}" if topic else "",
            to=token,
            text=topic,
            callback="",
            kind="webpush",
            extra={
                "ttl": int(ttl),
                "urgency": self.headers.get("Urgency", ""),
                "topic": topic,
                "size": len(body),
                "body": base64.b64encode(body).decode() if state.config["push_keep_bodies"] else "",
            },
        )
        state.note_batch("push", int(first))
        self._reply(201, {}, {"Location": f"/push/{token}/messages/{record['id']}"})

    def _target(self, kind: str, name: str, body: bytes) -> None:
        """A broadcast post (Apprise JSON) or a signed partner webhook."""
        state = self.server.state
        key = self.headers.get("X-Burgernet-Delivery", "")
        log: dict[str, Any] = {
            "kind": kind,
            "name": name,
            "delivery": key,
            "event": self.headers.get("X-Burgernet-Event", ""),
            "content_type": self.headers.get("Content-Type", ""),
            "signature": self.headers.get(SIGNATURE_HEADER, ""),
            "body": body.decode("utf-8", "replace"),
            "at": time.time(),
        }

        def answer(status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            log["status"] = status
            with state.lock:
                state.requests.append(log)
            self._reply(status, payload, headers)

        if kind == "partner":
            secret = str(state.config["partner_secrets"].get(name, ""))
            signature = self.headers.get(SIGNATURE_HEADER, "")
            if not verify_signature(secret, body, signature):
                answer(401, {"error": "bad signature" if secret else "unknown partner"})
                return
        self._latency()
        scripted = state.scripted(name)
        if scripted is not None and not 200 <= scripted < 300:
            retry = {"Retry-After": str(state.config["retry_after"])} if scripted == 429 else {}
            answer(scripted, {"error": "scripted failure"}, retry)
            return
        refused = state.gate(name, 1) if scripted is None else None
        if refused:
            answer(refused[0], {"error": "refused"}, refused[1])
            return
        if kind == "broadcast":
            try:
                post = json.loads(body)
            except ValueError:
                answer(400, {"error": "body is not JSON"})
                return
            text = f"{post.get('title', '')}\n{post.get('message', '')}".strip()
        else:
            text = body.decode("utf-8", "replace")
        record, first = state.accept(
            account=name,
            channel="broadcast" if kind == "broadcast" else "webhook",
            key=key,
            to=name,
            text=text,
            callback="",
            kind=f"{kind}_{name}",
        )
        if first:
            record["event"] = log["event"]
            record["content_type"] = log["content_type"]
        state.note_batch(name, int(first))
        answer(200, {"id": record["id"], "duplicate": not first})


def _pad(segment: str) -> bytes:
    return (segment + "=" * (-len(segment) % 4)).encode()


class MockServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), MockHandler)
        self.state = MockState()
        self.receipts = ReceiptSender(self.state)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> MockServer:
        """Serve in a background thread (tests, benchmarks)."""
        self.receipts.start()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True, name="mock")
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self.receipts.queue.put(None)
