"""inst.report=URL: the engine's events, POSTed to an HTTP endpoint while the install runs.

Each event is one POST whose body is exactly the event's `--json-events` line (the same
versioned schema); the headers carry its place in the stream:

    X-Azl-Install-Id: <uuid of this install>
    X-Azl-Event-Seq: <1, 2, 3, ...>
    Idempotency-Key: <install id>:<seq>
    X-Azl-Events-Dropped: <events dropped so far because the buffer was full>

Delivery: one event at a time, in order; an event leaves the buffer only after a 2xx answer,
so a lost answer makes the client send it again with the same key: an endpoint that keeps
the first copy per key sees every event exactly once. Failures (no connection, a timeout,
any non-2xx) are retried with exponential backoff. Events wait in a buffer of at most
BUFFER_EVENTS while the endpoint is down; when it is full, the oldest progress/log event
is dropped (the gap shows in the sequence numbers and in X-Azl-Events-Dropped); step,
failure and finish events are never dropped. Progress is thinned to one event per step
every PROGRESS_EVERY seconds (the last of a step always goes).

The client never blocks or fails the install: events are queued by the engine's thread and
sent by a background thread. On the finish or failure event (before any reboot) and in
close(), the install waits at most FLUSH_SECONDS for the rest, then goes on regardless. Text fields are
redacted with the install's secrets before they are queued, so no secret is ever sent.
"""

from __future__ import annotations

import collections
import dataclasses
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from installer.fetch import FetchError, http_request, safe_url

BUFFER_EVENTS = 4096
ATTEMPT_SECONDS = 10.0  # wall clock for one POST
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
FLUSH_SECONDS = 30.0  # the longest close() waits for undelivered events at the end of the install
PROGRESS_EVERY = 5.0
ANSWER_BYTES = 64 << 10  # what is read of an endpoint's answer
ESSENTIAL = frozenset({"step-started", "step-finished", "failed", "finished"})


@dataclass
class ReportStats:
    queued: int = 0  # events accepted into the buffer (sequence numbers handed out)
    delivered: int = 0
    dropped: int = 0  # dropped because the buffer was full
    thinned: int = 0  # progress events not sent (rate limit)
    attempts: int = 0
    failures: int = 0
    pending: int = 0  # still undelivered when close() gave up
    last_error: str = ""


def _redact_event(event, redact: Callable[[str], str]):
    changes = {}
    for f in dataclasses.fields(event):
        if not f.init:
            continue
        value = getattr(event, f.name)
        if isinstance(value, str) and value:
            new = redact(value)
            if new != value:
                changes[f.name] = new
        elif isinstance(value, list) and any(isinstance(v, str) for v in value):
            changes[f.name] = [redact(v) if isinstance(v, str) else v for v in value]
    return dataclasses.replace(event, **changes) if changes else event


class Reporter:
    """An event sink (call it with engine events) that delivers them to `url` in the background."""

    def __init__(self, url: str, *, cafile: str | None = None, verify: bool = True,
                 redact: Callable[[str], str] | None = None, install_id: str | None = None,
                 buffer: int = BUFFER_EVENTS, attempt_seconds: float = ATTEMPT_SECONDS,
                 backoff_first: float = BACKOFF_FIRST, backoff_max: float = BACKOFF_MAX,
                 progress_every: float = PROGRESS_EVERY, flush_seconds: float = FLUSH_SECONDS, log: Callable[[str], None] | None = None):
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"inst.report={safe_url(url)}: only http:// and https:// endpoints are supported")
        self.url = url
        self.install_id = install_id or str(uuid.uuid4())
        self.cafile = cafile
        self.verify = verify
        self.redact = redact
        self.buffer = max(1, buffer)
        self.attempt_seconds = attempt_seconds
        self.backoff_first = backoff_first
        self.backoff_max = backoff_max
        self.progress_every = progress_every
        self.flush_seconds = flush_seconds
        self.ended = False  # the finish or failure event came (and was flushed)
        self.log = log
        self.stats = ReportStats()
        self._queue: collections.deque[tuple[int, str, bytes]] = collections.deque()
        self._cond = threading.Condition()
        self._seq = 0
        self._last_progress: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="azl-report", daemon=True)
        self._thread.start()

    # --- the engine's side: cheap, never raises ---

    def __call__(self, event) -> None:
        try:
            self._enqueue(event)
            if event.kind in ("finished", "failed"):
                self.ended = True
                self.flush(self.flush_seconds)  # before the engine reboots or the command exits
        except Exception as exc:  # noqa: BLE001 - a reporting bug must not fail the install
            self.stats.last_error = f"{type(exc).__name__}: {exc}"

    def _enqueue(self, event) -> None:
        kind = event.kind
        if kind == "progress" and event.done < event.total:
            now = time.monotonic()
            if now - self._last_progress.get(event.step, -1e9) < self.progress_every:
                self.stats.thinned += 1
                return
            self._last_progress[event.step] = now
        if self.redact is not None:
            event = _redact_event(event, self.redact)
        body = event.to_json().encode()
        with self._cond:
            if self._stop.is_set():
                return
            if len(self._queue) >= self.buffer and not self._make_room(kind):
                self.stats.dropped += 1
                return
            self._seq += 1
            self._queue.append((self._seq, kind, body))
            self.stats.queued += 1
            self._cond.notify_all()

    def _make_room(self, kind: str) -> bool:
        """Drop the oldest droppable event (not the one in flight); False: drop the new one instead."""
        for i in range(1, len(self._queue)):
            if self._queue[i][1] not in ESSENTIAL:
                del self._queue[i]
                self.stats.dropped += 1
                return True
        return kind in ESSENTIAL  # essential events are few (two per step): they may exceed the buffer

    # --- the sender thread ---

    def _run(self) -> None:
        delay = self.backoff_first
        while True:
            with self._cond:
                while not self._queue and not self._stop.is_set():
                    self._cond.wait()
                if not self._queue or self._stop.is_set():
                    return
                seq, _kind, body = self._queue[0]
                dropped = self.stats.dropped
            if self._send(seq, body, dropped):
                with self._cond:
                    self._queue.popleft()
                    self.stats.delivered += 1
                    self._cond.notify_all()
                delay = self.backoff_first
            else:
                if self._stop.wait(delay):
                    return
                delay = min(delay * 2, self.backoff_max)

    def _send(self, seq: int, body: bytes, dropped: int) -> bool:
        self.stats.attempts += 1
        headers = {"Content-Type": "application/json", "X-Azl-Install-Id": self.install_id,
                   "X-Azl-Event-Seq": str(seq), "Idempotency-Key": f"{self.install_id}:{seq}",
                   "X-Azl-Events-Dropped": str(dropped)}
        try:
            http_request(self.url, method="POST", body=body, headers=headers, max_bytes=ANSWER_BYTES,
                         timeout=self.attempt_seconds, cafile=self.cafile, verify=self.verify, max_redirects=0)
            return True
        except FetchError as exc:
            self.stats.failures += 1
            if str(exc) != self.stats.last_error and self.log:
                self.log(f"inst.report: event {seq} not delivered yet: {exc}")
            self.stats.last_error = str(exc)
            return False

    def flush(self, wait: float) -> bool:
        """Wait at most `wait` seconds for the buffer to drain; True when it did."""
        deadline = time.monotonic() + wait
        with self._cond:
            while self._queue and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(min(left, 0.5))
            return not self._queue

    def close(self, wait: float = FLUSH_SECONDS) -> ReportStats:
        """Wait at most `wait` seconds for the buffer to drain, then stop the sender."""
        deadline = time.monotonic() + wait
        self.flush(wait)
        with self._cond:
            self._stop.set()
            self.stats.pending = len(self._queue)
            self._cond.notify_all()
        self._thread.join(max(0.0, deadline - time.monotonic()) + 0.1)
        return self.stats

