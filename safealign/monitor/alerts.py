"""Alert rules on rates over the last N exchanges, fired once per crossing to the log and a webhook.

A rule fires when its rate reaches the threshold (with enough samples) and stays quiet until the
rate falls back below: a page per incident, not per request. The armed/fired state is kept in the
alerts table, so a restarted monitor does not fire again for an incident it already reported. A fired alert the
webhook did not take is sent again while its rule still fires (``RESEND_S``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from time import monotonic  # its own name: tests replace the module's `time` to skip the backoff sleeps
from typing import Any, Literal

import httpx
import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from safealign.config.base import check_http_url, format_validation_error
from safealign.config.recipe import read_yaml
from safealign.errors import RecipeError
from safealign.monitor.queries import metric_rate
from safealign.monitor.security import redact_url
from safealign.monitor.store import Store
from safealign.monitor.store import alerts as alerts_table

log = logging.getLogger(__name__)

# A fired alert the webhook did not take (down, or restarting for longer than the tries) is sent again while its rule
# still fires: RESEND_S after the last try, then twice as long each time, up to RESEND_MAX_S. A receiver that was down
# as an incident began lost its page for good: the rule, already firing, stayed quiet until the incident ended.
RESEND_S, RESEND_MAX_S = 60.0, 3600.0

Metric = Literal["harmful_rate", "refusal_rate", "over_refusal_rate", "upstream_error_rate"]


class AlertRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # At most the alerts table's 100 characters: PostgreSQL refused a longer one's every event, and a cut one would
    # not find its own firing state.
    name: str = Field(
        max_length=100,
        description="Unique name (at most 100 characters), shown in the log, the webhook payload and the dashboard.",
    )
    metric: Metric = Field(description="Rate to watch.")
    # At most 1,000,000, as /admin/stats' window: a larger one overflowed SQLite's integer in every evaluation.
    window: int = Field(
        50, ge=1, le=1_000_000, description="Rate over the last N exchanges (judged ones for judge metrics)."
    )
    threshold: float = Field(
        0.1,
        le=1,
        description="Fire when the rate reaches this value (above 0; 0.001 fires on any occurrence).",
    )
    min_samples: int = Field(20, ge=1, description="Stay quiet until the window holds this many samples.")
    description: str = Field("", description="What the alert means and what to do about it.")

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        # a blank name's alerts read "ALERT : ...", with rule "" in the webhook payload and on the dashboard
        if not value.strip():
            raise ValueError(
                "a rule needs a name: the log, the webhook payload and the dashboard call its alerts by it"
            )
        return value

    @field_validator("threshold")
    @classmethod
    def _threshold_above_zero(cls, value: float) -> float:
        if value <= 0:  # every rate is >= 0: the rule would fire at once and never resolve
            raise ValueError(
                f"threshold {value} is reached by a rate of 0, so the rule would fire on a clean window and never "
                "resolve; to alert on any occurrence give a small threshold such as 0.001"
            )
        return value

    @model_validator(mode="after")
    def _window_can_hold_min_samples(self) -> AlertRule:
        if self.min_samples > self.window:  # the window never holds that many: the rule could never fire
            raise ValueError(
                f"min_samples ({self.min_samples}) is larger than window ({self.window}), so the rule could never "
                f"fire; lower min_samples to at most {self.window} or widen the window"
            )
        return self


class AlertConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    webhook: str | None = Field(None, description="URL that receives each alert as a JSON POST.")
    rules: list[AlertRule] = Field(default_factory=list, description="The alert rules.")

    @field_validator("webhook")
    @classmethod
    def _webhook_is_a_url(cls, value: str | None) -> str | None:
        return check_http_url("webhook", value)


def load_alert_config(path: str | Path) -> AlertConfig:
    """Parse an alerts YAML file (a mapping with ``rules:``, or a bare list of rules)."""
    path = Path(path)
    if not path.is_file():
        raise RecipeError(f"{path}: no such alerts file (see recipes/monitor_alerts.yaml for an example)")
    try:  # UniqueKeyLoader: a second `rules:` block replaced the first without a word
        raw = read_yaml(path.read_text(encoding="utf-8"), str(path)) or {}
    except UnicodeDecodeError:
        raise RecipeError(
            f"{path}: not UTF-8 text (saved as UTF-16 or another encoding?); save it as UTF-8"
        ) from None
    if isinstance(raw, list):
        raw = {"rules": raw}
    try:
        config = AlertConfig.model_validate(raw)
    except ValidationError as error:
        raise format_validation_error(error, AlertConfig, str(path)) from None
    names = [rule.name for rule in config.rules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RecipeError(f"{path}: rule names must be unique; repeated: {', '.join(duplicates)}")
    # an empty file (or `rules:` left empty) watched nothing, and the monitor ran on without a word
    if not config.rules:
        log.warning(
            "%s has no alert rules: nothing is alerted on; add rules under rules: (see recipes/monitor_alerts.yaml)",
            path,
        )
    return config


class Notifier:
    """Sends an alert to the log and, when configured, a webhook; a failing webhook is logged, never raised.

    A delivery that fails on the network, a timeout, a 429 or a 5xx is tried ``attempts`` times, waiting
    ``backoff_s``, then twice that, ... between tries (0.5 + 1 s by default: a receiver restarting or
    briefly overloaded still gets the page). Another 4xx is the request's fault and is not retried.
    :meth:`send` delivers before it returns; :meth:`send_later` hands the delivery to one background
    thread (in order), so a dead webhook (3 tries x 5 s + 1.5 s of backoff) does not hold up the caller.
    """

    def __init__(
        self, webhook: str | None = None, timeout_s: float = 5.0, attempts: int = 3, backoff_s: float = 0.5
    ) -> None:
        self.webhook = webhook
        self.timeout_s, self.attempts, self.backoff_s = timeout_s, attempts, backoff_s
        self._deliveries: ThreadPoolExecutor | None = (
            None  # its thread is joined at exit: queued pages still go out
        )
        self._pending: list[Future] = []
        self._lock = threading.Lock()

    def send(self, payload: dict[str, Any]) -> bool:
        """Log the alert and deliver it now; True when the webhook took it."""
        _log_alert(payload)
        return self._deliver(payload)

    def send_later(
        self, payload: dict[str, Any], on_delivered: Callable[[], None], log_it: bool = True
    ) -> None:
        """Log the alert now (unless not ``log_it``: a re-send); deliver it in the background and call
        ``on_delivered()`` once the webhook took it."""
        if log_it:
            _log_alert(payload)
        if not self.webhook:
            return

        def deliver() -> None:
            if self._deliver(payload):
                try:
                    on_delivered()
                except Exception:
                    log.exception("alert %s was delivered, but recording that failed", payload.get("rule"))

        with self._lock:
            if self._deliveries is None:
                self._deliveries = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alert-webhook")
            self._pending = [f for f in self._pending if not f.done()] + [self._deliveries.submit(deliver)]

    def flush(self, timeout_s: float | None = None) -> bool:
        """Wait for the deliveries :meth:`send_later` queued; True when none is left."""
        with self._lock:
            pending = list(self._pending)
        return not wait(pending, timeout=timeout_s).not_done

    def _deliver(self, payload: dict[str, Any]) -> bool:
        if not self.webhook:
            return False
        for attempt in range(1, self.attempts + 1):
            try:
                response = httpx.post(self.webhook, json=payload, timeout=self.timeout_s)
                response.raise_for_status()
                return True
            except httpx.HTTPError as error:
                retry = attempt < self.attempts and _transient(error)
                log.error(
                    "alert webhook %s failed (try %d of %d): %s%s",
                    redact_url(self.webhook),
                    attempt,
                    self.attempts,
                    _describe(error, self.webhook),
                    "; retrying" if retry else "",
                )
                if not retry:
                    return False
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            except (httpx.InvalidURL, ValueError) as error:
                # A URL the validation took but httpx cannot send to (an empty host label such as "hooks..example.com",
                # one over 63 characters: a UnicodeError from the IDNA codec): raised out of send(), a regression's
                # alert was never stored, and out of send_later()'s thread the page was lost without a word.
                log.error(
                    "alert webhook %s failed: %s; fix the webhook URL",
                    redact_url(self.webhook),
                    _describe(error, self.webhook),
                )
                return False
        return False


def _log_alert(payload: dict[str, Any]) -> None:
    log.warning("ALERT %s: %s", payload.get("rule"), payload.get("message"))


def _transient(error: httpx.HTTPError) -> bool:
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code == 429 or error.response.status_code >= 500
    return True


def _describe(error: Exception, url: str) -> str:
    """The failure without the URL (httpx puts it, token and all, in a status error's message)."""
    if isinstance(error, httpx.HTTPStatusError):
        status, location = error.response.status_code, error.response.headers.get("location")
        # Not followed: a page is not sent on to another host unasked. The target's path is masked (a hook's token).
        if 300 <= status < 400 and location:
            target = redact_url(str(error.request.url.join(location)))
            return f"HTTP {status}, a redirect to {target} (not followed): give the URL it redirects to as the webhook"
        return f"HTTP {status}"
    return f"{type(error).__name__}: {error}".replace(url, redact_url(url))


def _over(rule: AlertRule, samples: int) -> str:
    """What an alert's rate is over. The over-refusal rate's samples are the benign requests among the window's judged
    exchanges: "over the last 3 exchanges" sent the reader to the last three, which may all have been harmful requests."""
    if rule.metric == "over_refusal_rate":
        return f"over {samples} benign requests (among the last {rule.window} judged exchanges)"
    return f"over the last {samples} exchanges"


class AlertManager:
    """Evaluates every rule against the store; call :meth:`evaluate` after each judged batch."""

    def __init__(
        self, store: Store, config: AlertConfig, notifier: Notifier | None = None, resend_s: float = RESEND_S
    ) -> None:
        self.store = store
        self.rules = config.rules
        self.notifier = notifier or Notifier(config.webhook)
        self.resend_s = resend_s
        # fired alert id -> (when to send it again, the wait after that)
        self._resend: dict[int, tuple[float, float]] = {}

    def evaluate(self) -> list[dict[str, Any]]:
        """Fire rules that crossed their threshold; re-arm rules whose rate fell back. Returns fired alerts.

        Whether a rule is firing is the database's latest event for it, not this worker's memory: another worker on
        the same database (or a `monitor judge --once`) may have fired or resolved it since."""
        fired = []
        for rule in self.rules:
            rate, samples = metric_rate(self.store, rule.metric, rule.window)
            if rate is None or samples < rule.min_samples:  # None: no sample at all, so no rate
                # Not measured now, so neither fired nor resolved; a fired alert the webhook missed still goes out (an
                # over-refusal rule's benign requests thinned out by a wave of harmful ones held its page back).
                if self.notifier.webhook and self.store.last_alert_kind(rule.name) == "fired":
                    self._send_again(rule)
                continue
            firing = (
                self.store.last_alert_kind(rule.name) == "fired"
            )  # a read first: most batches change nothing
            if rate >= rule.threshold and not firing:
                alert = self._fire(rule, rate, samples)
                if alert is not None:
                    fired.append(alert)
            elif rate < rule.threshold and firing:
                message = f"{rule.metric} back to {rate:.3f} (< {rule.threshold}) {_over(rule, samples)}"
                if (
                    self.store.record_alert_change(
                        rule.name,
                        "resolved",
                        metric=rule.metric,
                        value=rate,
                        threshold=rule.threshold,
                        samples=samples,
                        message=message,
                        delivered=False,
                    )
                    is not None
                ):
                    log.info("alert %s resolved: %s", rule.name, message)
            elif firing:
                self._send_again(rule)
        return fired

    def _send_again(self, rule: AlertRule) -> None:
        """Send the rule's latest ``fired`` alert again when the webhook has not taken it and its wait is over (the
        wait doubles each time; a restarted worker sends it at once)."""
        if not self.notifier.webhook:
            return
        query = (
            sa.select(alerts_table)
            .where(alerts_table.c.rule == rule.name, alerts_table.c.kind == "fired")
            .order_by(alerts_table.c.id.desc())
            .limit(1)
        )
        with self.store.engine.connect() as conn:
            alert = conn.execute(query).first()
        if alert is None or alert.delivered:
            return
        now = monotonic()
        when, wait_s = self._resend.get(alert.id, (now, self.resend_s))
        if now < when:
            return
        self._resend[alert.id] = (now + wait_s, min(2 * wait_s, RESEND_MAX_S))
        log.warning(
            "alert %s, fired %s UTC, has not reached the webhook: sending it again",
            rule.name,
            alert.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
        payload = {"rule": rule.name, "kind": "fired"} | {
            key: getattr(alert, key) for key in ("metric", "value", "threshold", "samples", "message")
        }
        alert_id = alert.id
        self.notifier.send_later(payload, lambda: self.store.mark_alert_delivered(alert_id), log_it=False)

    def _fire(self, rule: AlertRule, rate: float, samples: int) -> dict[str, Any] | None:
        message = f"{rule.metric} = {rate:.3f} >= {rule.threshold} {_over(rule, samples)}"
        if rule.description:
            message += f" — {rule.description}"
        payload = {
            "rule": rule.name,
            "kind": "fired",
            "metric": rule.metric,
            "value": rate,
            "threshold": rule.threshold,
            "samples": samples,
            "message": message,
        }
        # Recorded first (the dashboard shows it at once), marked delivered when the webhook takes it: judging
        # goes on meanwhile instead of waiting out a dead webhook's tries.
        fields = {key: value for key, value in payload.items() if key not in ("rule", "kind")}
        alert_id = self.store.record_alert_change(rule.name, "fired", **fields, delivered=False)
        if alert_id is None:  # already firing: fired by this worker before, or by another one
            return None
        self.notifier.send_later(payload, lambda: self.store.mark_alert_delivered(alert_id))
        self._resend[alert_id] = (monotonic() + self.resend_s, min(2 * self.resend_s, RESEND_MAX_S))
        return payload

    def flush(self, timeout_s: float | None = 30.0) -> bool:
        """Wait for the webhook deliveries still under way; True when none is left."""
        return self.notifier.flush(timeout_s)
