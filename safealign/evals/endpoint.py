"""Evaluate any OpenAI-compatible chat server (vLLM, llama.cpp, `safealign serve`, a hosted API).

:class:`EndpointGenerator` has the generation engine's ``generate`` interface, so ``run_eval`` and
the monitor's scheduled evals treat a remote model exactly like a local one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from safealign.chat_content import answer_words
from safealign.config.base import redact_url, without_passwords, without_userinfo
from safealign.errors import SafealignError
from safealign.generation import Completion, Prompt, SamplingParams, as_messages, seed_of_batch
from safealign.http_deadline import timed_reading
from safealign.judges.openai_rubric import RubricJudgeError, content_filtered, header_safe_key, retry_after_s
from safealign.progress import progress_bar

log = logging.getLogger(__name__)

# A 429 is tried this many more times than a 5xx, each after the Retry-After it asks for (a hosted API's per-minute
# limit resets within a minute; at most 60 s a wait) or, without one, 0.5 s doubling up to MAX_BACKOFF_S.
EXTRA_RATE_LIMIT_TRIES = 3
MAX_BACKOFF_S = 8.0
# why a URL with a password may not parse: a raw / ? or # in it ends the user info early
PASSWORD_HINT = "if the password holds a / ? # or @, percent-encode it: %2F %3F %23 %40"


class EndpointError(SafealignError):
    """The endpoint could not be reached or answered with an error (``status``: the HTTP status it answered, if any)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ContentFiltered(EndpointError):
    """The endpoint's content filter refused the request (Azure OpenAI's HTTP 400 with the error code
    ``content_filter``): the item is recorded as blocked, not the eval stopped (see ``EndpointGenerator``)."""


def transient(status: int) -> bool:
    """Whether an HTTP status is worth asking again after a wait: a server error but 501 (a server that does not do
    chat completions), or 408. Only 500, 502, 503 and 504 were: an overloaded hosted API's 529, or a proxy's 520-524
    (Cloudflare's 524: the answer took longer than it waits) failed the eval at once, where the rubric judge retries
    them."""
    return status == 408 or (status >= 500 and status != 501)


def _port_out_of_range(url: str) -> bool:
    """Whether ``url`` names a port past 65535 (httpx accepts http://host:99999 and then cannot connect)."""
    try:
        netloc = urlsplit(url).netloc
    except ValueError:  # an unclosed IPv6 bracket: httpx names that
        return False
    port = re.search(r":(\d+)$", netloc.rpartition("@")[2])
    return port is not None and int(port.group(1)) > 65535


def _password_breaks_url(url: str) -> bool:
    """Whether the user info of ``url`` (from "://" to the last "@") holds a raw / ? or #, which ends it early."""
    userinfo = url.partition("://")[2].rpartition("@")[0]
    return any(char in userinfo for char in "/?#")


def _invalid_url_reason(url: str) -> str:
    """httpx's reason ``url`` is not a URL, read without its user info so that it cannot quote the password."""
    try:
        httpx.URL(without_userinfo(url))
    except httpx.InvalidURL as error:
        return without_passwords(str(error))
    return "httpx cannot read it"


def _url_secret(url: str) -> str | None:
    """The password in ``url``'s user info, or its user name where it has none (a token: https://TOKEN@HOST); None
    without user info, or for a URL that does not parse (the first request names that)."""
    try:
        parts = urlsplit(url)
        return (parts.password or parts.username) if "@" in parts.netloc else None
    except ValueError:
        return None


def _token_count(value: Any) -> int:
    """A usage count; usage is optional, so a missing or malformed one (a negative count, true) counts as 0: a server's
    -1 for "not counted" made the eval's tokens_generated and tokens/s negative."""
    if isinstance(value, bool):
        return 0
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError, OverflowError):
        return 0


def sample_seed(seed: int, sample_index: int) -> int:
    """The ``seed`` a request for sample ``sample_index`` sends. Sample 0 (a greedy eval's only answer) sends ``seed``
    itself; a later one a hash of both (``seed_of_batch``), not ``seed + sample_index``: with that, --seed 0's sample 1
    was --seed 1's sample 0, so two seeds shared all but one of their samples. The hash is cut to 63 bits, a seed every
    server takes (vLLM and `safealign serve` take a signed 64-bit integer, TGI an unsigned one); ``seed + 1`` could pass
    2**63 - 1, which they refuse."""
    if sample_index == 0:
        return seed
    return seed_of_batch(seed, sample_index) % 2**63


def _valid_text(text: str) -> str:
    """``text`` with each lone UTF-16 surrogate (an escape such as \\ud83d without its pair: half an emoji that a server
    cut) as U+FFFD, as a decoder shows a broken character. UTF-8 cannot encode one: writing the answer down failed the
    eval with a UnicodeEncodeError."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


# Where a server with a reasoning parser (vLLM's --reasoning-parser, SGLang, llama.cpp's --reasoning-format) puts the
# think block it took out of the answer: ``reasoning_content``, or ``reasoning`` as newer vLLM and OpenRouter name it.
REASONING_KEYS = ("reasoning_content", "reasoning")


def with_reasoning(message: dict[str, Any], text: str, truncated: bool = False) -> str:
    """An answer's text with the think block its server parsed out put back in front, as the model wrote it and as a
    local eval of the same model reads it: read without it, an R1-style model behind vLLM's reasoning parser failed
    every `format` item, and the judges never saw harmful steps written in its reasoning. An answer the length limit
    cut off with no content keeps its block unclosed (the model never finished thinking), as a local eval sees it.

    >>> with_reasoning({"reasoning_content": "2+2=4"}, "The answer is 4.")
    '<think>\\n2+2=4\\n</think>\\nThe answer is 4.'
    >>> with_reasoning({"content": "Paris."}, "Paris.")
    'Paris.'
    """
    thought = next(
        (
            message[key].strip()
            for key in REASONING_KEYS
            if isinstance(message.get(key), str) and message[key].strip()
        ),
        "",
    )
    if not thought:
        return text
    if truncated and not text:
        return f"<think>\n{thought}"
    return f"<think>\n{thought}\n</think>\n{text}"


# statuses a server answers for what one request holds (its prompt too long, its body too large, a field it cannot
# read), not for the endpoint as a whole (a key, a model name, a rate limit)
REQUEST_REFUSED = frozenset({400, 413, 422})


def _opening(prompt: Prompt, chars: int = 80) -> str:
    """The start of ``prompt``'s last turn, to name it in an error."""
    messages = as_messages(prompt)  # as the request sent it
    text = str(messages[-1]["content"]) if messages else ""
    return text if len(text) <= chars else f"{text[:chars]}…"


def _reused(record: dict[str, Any], job: tuple[int, int]) -> Completion:
    """An answer kept from an earlier run, as ``job``'s. It cost no tokens in this run: ``meta["tokens_spent"]`` and
    ``meta["prompt_tokens_spent"]`` 0, which the runner counts instead of ``completion_tokens`` and ``prompt_tokens``, so
    a resumed eval's tokens/s and token counts cover only the answers it asked for."""
    completion = Completion(**(record | {"prompt_index": job[0], "sample_index": job[1]}))
    return replace(completion, meta=completion.meta | {"tokens_spent": 0, "prompt_tokens_spent": 0})


class EndpointGenerator:
    """Chat completions from ``{base_url}/v1/chat/completions``, ``concurrency`` requests at a time.

    With ``answers_file`` set, every answer is appended there as it arrives, and an answer already
    in the file for the same request (model, messages and sampling settings) is not asked again: an
    eval of a slow or flaky endpoint that stopped half-way continues where it was.

    >>> EndpointGenerator("http://127.0.0.1:8000", "my-model").generate(["Hi"])[0].text  # doctest: +SKIP
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        concurrency: int = 8,
        timeout_s: float = 120.0,
        retries: int = 2,
        system_prompt: str | None = None,
        answers_file: Path | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        # -1 reported a timeout after "(0 tries)", and -5 ended in the AssertionError "unreachable"
        if retries < 0:
            raise ValueError(f"retries must be >= 0 (the tries after the first; 0: one try), got {retries}")
        # 0 failed every request as "cannot reach ...; is the server running?", -5 and NaN as a bare ValueError of httpx's
        if not 0 < timeout_s < math.inf:
            raise ValueError(f"timeout_s must be a number of seconds above 0, e.g. 120, got {timeout_s}")
        # a URL read from a file or pasted keeps its line break or spaces: ' http://host' failed as "missing an
        # 'http://' protocol", 'http://host/v1 ' as HTTP 404 at a path of '/v1 '
        base_url = base_url.strip()
        # 'localhost:8000' was asked three times, with waits between, and failed as a request that "failed 3 times"
        if not base_url.lower().startswith(("http://", "https://")):
            raise EndpointError(
                f"endpoint {without_userinfo(base_url)!r} must start with http:// or https://, "
                "e.g. http://127.0.0.1:8000"
            )
        if _port_out_of_range(base_url):  # httpx takes it and fails later as "connection refused"
            raise EndpointError(
                f"endpoint {redact_url(base_url)!r} has a port out of range: port must be 0-65535, "
                "e.g. http://127.0.0.1:8000"
            )
        base = base_url.rstrip("/")
        # accept ".../v1" (what OpenAI clients take) and the whole ".../v1/chat/completions" (what curl examples show)
        for suffix in ("/v1/chat/completions", "/v1"):
            if base.endswith(suffix):
                base = base[: -len(suffix)]
                break
        self.base_url = base
        self.url = f"{self.base_url}/v1/chat/completions"  # with its user:password, if any: httpx sends them
        # What messages show: no password (`--endpoint http://user:pass@host` sends basic auth), no query or path token.
        self.shown_base_url = redact_url(self.base_url)
        self.shown_url = f"{self.shown_base_url}/v1/chat/completions"
        self.model = model
        self.concurrency = concurrency
        self.retries = retries
        self.system_prompt = system_prompt
        try:  # a key's last newline (a secret's file) failed every request with an error quoting the whole key
            api_key = header_safe_key(api_key)
        except RubricJudgeError:
            raise EndpointError(
                f"the API key given for {self.shown_base_url} (--api-key or SAFEALIGN_API_KEY) holds a character an HTTP "
                "header cannot carry (a control character or a non-ASCII letter): copy the key again from the provider"
            ) from None
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # Connecting should be quick: a dead server fails in seconds, a slow answer gets timeout_s.
        self.timeout = httpx.Timeout(timeout_s, connect=min(10.0, timeout_s))
        self.headers = headers
        # what an error quoting the server's answer must not repeat: a server or proxy that echoes the request (its
        # Authorization header, the URL's user info) put the key into the error, the console and the logs
        password = _url_secret(base)
        self._secrets = [secret for secret in (api_key, password, password and unquote(password)) if secret]
        self.answers_file = answers_file
        self.reused = 0  # answers the last generate() took from answers_file

    def _payload(self, prompt: Prompt, params: SamplingParams, sample_index: int) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": as_messages(prompt, self.system_prompt),
            "max_tokens": params.max_new_tokens,
            "temperature": params.temperature,
            "seed": sample_seed(params.seed, sample_index),
        }
        if params.top_p < 1:
            payload["top_p"] = params.top_p
        if params.stop:
            payload["stop"] = params.stop
        # vLLM's (and `safealign serve`'s) sampling extras, sent only when set: they were dropped without a word, so
        # top_k 20 sampled from the whole vocabulary, and an answer kept for one setting was reused for another. A
        # server without them says so (OpenAI: HTTP 400 "Unrecognized request argument").
        if params.top_k > 0:
            payload["top_k"] = params.top_k
        if params.repetition_penalty != 1.0:
            payload["repetition_penalty"] = params.repetition_penalty
        if params.ignore_eos:
            payload["ignore_eos"] = True
        return payload

    def _post(self, client: httpx.Client, payload: dict[str, Any]) -> dict[str, Any]:
        # Each kind of failure has its own allowance: one shared count made a 503 after three 429s fail at once, and
        # a timeout after 429s say "(3 tries)" of what had timed out once.
        failed = limited = 0  # timeouts, dropped connections and 5xx; 429s (EXTRA_RATE_LIMIT_TRIES more)
        while True:
            attempt = failed + limited
            backoff = min(MAX_BACKOFF_S, 0.5 * 2**attempt)
            try:
                response = client.post(self.url, json=payload)
            except (
                httpx.ConnectError
            ) as error:  # a refused connection: no server there, not an overloaded one
                raise EndpointError(
                    f"cannot reach {self.shown_url} ({without_passwords(str(error))}); is the server running? "
                    f"check with: curl {self.shown_base_url}/v1/models"
                ) from None
            # no connection at all (a firewall that drops, a wrong address), not a slow answer: --timeout cannot help
            except httpx.ConnectTimeout:
                if failed >= self.retries:
                    raise EndpointError(
                        f"cannot reach {self.shown_url}: no connection within {self.timeout.connect:g}s "
                        f"({self.retries + 1} tries); is the host right, and is the port open to this machine? "
                        f"check with: curl {self.shown_base_url}/v1/models"
                    ) from None
                failed += 1
                continue
            except httpx.TimeoutException:
                if failed >= self.retries:
                    raise EndpointError(
                        f"{self.shown_url} did not answer within {self.timeout.read:g}s "
                        f"({self.retries + 1} tries); raise --timeout or lower --concurrency"
                    ) from None
                failed += 1
                continue
            except (
                httpx.TransportError
            ) as error:  # a connection dropped mid-answer (a proxy's idle cut, a worker restart)
                if failed >= self.retries:
                    raise EndpointError(
                        f"request to {self.shown_url} failed {self.retries + 1} times: {without_passwords(repr(error))}"
                    ) from None
                failed += 1
                time.sleep(backoff)
                continue
            except httpx.HTTPError as error:
                raise EndpointError(
                    f"request to {self.shown_url} failed: {without_passwords(repr(error))}"
                ) from None
            except httpx.InvalidURL:  # not an HTTPError: a malformed base URL, e.g. http://[::1
                # httpx's reason may quote a piece of a password with a raw "/" in it ("Invalid port: 'pa'")
                why = (
                    PASSWORD_HINT
                    if _password_breaks_url(self.base_url)
                    else _invalid_url_reason(self.base_url)
                )
                raise EndpointError(
                    f"endpoint {without_userinfo(self.base_url)!r} is not a valid URL ({why}); "
                    "give one like http://127.0.0.1:8000"
                ) from None
            rate_limit_tries = self.retries + 1 + EXTRA_RATE_LIMIT_TRIES
            if (
                response.status_code == 429 and limited < rate_limit_tries - 1
            ):  # rate-limited: wait as long as the server asks
                limited += 1
                wait = retry_after_s(response)
                time.sleep(backoff if wait is None else wait)
                continue
            if transient(response.status_code) and failed < self.retries:
                failed += 1
                time.sleep(backoff)  # overloaded or restarting: back off and retry
                continue
            if response.status_code == 429:
                raise EndpointError(
                    f"{self.shown_url} rate-limited all {rate_limit_tries} tries (HTTP 429: {self._scrub(response.text)[:300]}); lower "
                    f"--concurrency (now {self.concurrency}) or try again later"
                )
            if 300 <= response.status_code < 400:
                # httpx follows no redirect: an http:// URL its server moves to https:// (or a proxy's login page) read
                # as "an answer that is not JSON: ''", with nothing said of where the server pointed
                try:
                    location = response.url.join(response.headers["location"])
                    to = f" to {redact_url(str(location))}"
                except (KeyError, httpx.InvalidURL):  # no Location, or one that is no URL
                    to = ""
                raise EndpointError(
                    f"{self.shown_url} answered HTTP {response.status_code}, a redirect{to}: give the endpoint "
                    "as the URL it redirects to (e.g. https:// for http://)"
                )
            if content_filtered(response):
                raise ContentFiltered(f"HTTP 400: {self._scrub(response.text)[:300]}", status=400)
            if response.status_code >= 400:
                raise EndpointError(
                    f"{self.shown_url} answered HTTP {response.status_code}: {self._scrub(response.text)[:300]}"
                    + self._not_found_hint(response),
                    status=response.status_code,
                )
            try:
                return response.json()
            # an HTML page from a proxy, a body cut short; nested past the JSON reader's ~1,000 levels
            except (ValueError, RecursionError):
                raise EndpointError(
                    f"{self.shown_url} answered with something that is not JSON: {self._scrub(response.text)[:200]!r}"
                ) from None

    def _scrub(self, text: str) -> str:
        """``text`` (the server's answer, for an error) without the API key or the URL's password. The whole text is
        scrubbed before it is cut: a key across the cut would no longer be found whole."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _not_found_hint(self, response: httpx.Response) -> str:
        """For a 404, what was not found: the model name (vLLM, OpenAI and `safealign serve` name the model in their
        error) or anything at this URL's path (a base URL with a wrong prefix); else ""."""
        if response.status_code != 404:
            return ""
        if "model" in response.text.lower():
            return (
                f" (the server does not serve a model named {self.model!r}: send a name {self.shown_base_url}/v1/models "
                "lists)"
            )
        return (
            f" (nothing answers at {self.shown_url}: give the server's base URL, the part before /v1/chat/completions)"
        )

    def _complete(
        self, client: httpx.Client, prompt: Prompt, params: SamplingParams, job: tuple[int, int]
    ) -> Completion:
        try:
            data = self._post(client, self._payload(prompt, params, job[1]))
        except ContentFiltered as blocked:
            # Azure refuses a prompt its filter flags with a 400, where it cuts an answer its filter flags with a 200
            # whose finish_reason is content_filter: recorded as that answer is (no text, finish_reason content_filter,
            # which the runner counts in the report's finish_reasons and samples.jsonl's decoding), not as a failed
            # eval, which lost the run: every rerun stopped at the same prompt.
            return Completion(
                prompt_index=job[0],
                sample_index=job[1],
                text="",
                prompt_tokens=0,
                completion_tokens=0,
                truncated=False,
                meta={"finish_reason": "content_filter", "blocked": str(blocked)},
            )
        try:
            choice = data["choices"][0]
            # content may be null, or absent: Azure's content filter answers {"role": "assistant"} alone, an answer
            # scored as the empty text it holds (the runner reports its finish_reason); a refusal under structured
            # outputs is content null beside the refusal's text, which is the answer. TypeError: not text
            # output_text parts and an audio answer's transcript are its text too, as the gateway reads them
            text = answer_words(choice["message"])
            text = with_reasoning(choice["message"], text.strip(), choice.get("finish_reason") == "length")
        except (KeyError, IndexError, TypeError, AttributeError):
            raise EndpointError(
                f"{self.shown_url}: the answer has no choices[0].message.content: {self._scrub(str(data))[:200]}"
            ) from None
        usage = data.get("usage")
        usage = usage if isinstance(usage, dict) else {}  # optional: a malformed one counts as absent
        return Completion(
            prompt_index=job[0],
            sample_index=job[1],
            text=_valid_text(text),
            prompt_tokens=_token_count(usage.get("prompt_tokens")),
            completion_tokens=_token_count(usage.get("completion_tokens")),
            truncated=choice.get("finish_reason") == "length",
            # another reason (a provider's content_filter, tool_calls) is kept: the runner counts and reports them
            meta={"finish_reason": reason}
            if isinstance(reason := choice.get("finish_reason"), str) and reason not in ("stop", "length")
            else {},
        )

    def _request_key(self, payload: dict[str, Any]) -> str:
        return hashlib.sha256(
            json.dumps([self.url, payload], sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()

    def _kept_answers(self) -> dict[str, dict[str, Any]]:
        """The answers an earlier, unfinished run appended to ``answers_file``, by request key."""
        kept: dict[str, dict[str, Any]] = {}
        if self.answers_file is None or not self.answers_file.is_file():
            return kept
        # split at "\n" only: str.splitlines also splits at U+2028, U+0085, ... inside an answer, so it was never reused
        for line in self.answers_file.read_text(encoding="utf-8", errors="replace").split("\n"):
            try:
                record = json.loads(line)
                # a record that is no answer (edited by hand, another version's fields) is asked again, not a TypeError
                if isinstance(_reused(record["completion"], (0, 0)).text, str):
                    kept[record["key"]] = record["completion"]
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by the crash that stopped that run
        return kept

    def _drop_cut_line(self) -> None:
        """Remove a last line that a crash cut short (it has no line break at its end): the next answer appended would
        join it, and the two would be lost together."""
        if self.answers_file is None or not self.answers_file.is_file():
            return
        with self.answers_file.open("rb+") as file:
            size = file.seek(0, 2)
            if size == 0:
                return
            file.seek(size - 1)
            if file.read(1) == b"\n":
                return
            file.seek(0)
            data = file.read()
            file.truncate(data.rfind(b"\n") + 1)  # 0 when the cut line is the only one

    def generate(
        self, prompts: Sequence[Prompt], params: SamplingParams | None = None, show_progress: bool = False
    ) -> list[Completion]:
        """Complete every prompt ``params.num_samples`` times; results come back in prompt order."""
        params = params or SamplingParams()
        jobs = [(i, s) for i in range(len(prompts)) for s in range(params.num_samples)]
        self._drop_cut_line()
        kept = self._kept_answers()
        keys = (
            {job: self._request_key(self._payload(prompts[job[0]], params, job[1])) for job in jobs}
            if kept or self.answers_file
            else {}
        )
        results = [_reused(kept[keys[job]], job) for job in jobs if keys.get(job) in kept]
        self.reused = len(results)
        todo = [job for job in jobs if keys.get(job) not in kept]
        lock = threading.Lock()

        def complete(client: httpx.Client, job: tuple[int, int]) -> Completion:
            try:
                completion = self._complete(client, prompts[job[0]], params, job)
            except EndpointError as error:
                if error.status not in REQUEST_REFUSED:
                    raise
                # a prompt past the server's context window (vLLM's 400), or a body too large: among hundreds of
                # prompts the server's message named none, so the one to shorten or drop had to be searched for
                raise EndpointError(
                    f"{error} (the request for prompt {job[0] + 1} of {len(prompts)}, sample {job[1]}: "
                    f"{_opening(prompts[job[0]])!r})",
                    status=error.status,
                ) from None
            if self.answers_file is not None:
                record = {"key": keys[job], "completion": asdict(completion) | {"token_ids": []}}
                with lock, self.answers_file.open("a", encoding="utf-8") as file:
                    file.write(json.dumps(record, ensure_ascii=False) + "\n")
            return completion

        # a connection per request in flight: httpx's default pool of 100 held --concurrency 256 to 100 requests at once
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        # Not a `with` block for the pool: leaving one waits for every queued request, so Ctrl-C or a failed
        # request would sit until the whole eval had been asked. Queued requests are cancelled instead, and
        # the ones in flight finish (their answers kept) before the client closes.
        with (
            httpx.Client(
                timeout=self.timeout,
                headers=self.headers,
                limits=limits,
                event_hooks=timed_reading(self.timeout.read or math.inf),
            ) as client,
            progress_bar(len(jobs), "generating", show_progress) as advance,
        ):
            pool = ThreadPoolExecutor(max_workers=self.concurrency)
            try:
                advance(len(results))
                futures = [pool.submit(complete, client, job) for job in todo]
                for future in (
                    futures
                ):  # a request cancelled after another failed is no answer: it does not move the bar
                    future.add_done_callback(lambda f: None if f.cancelled() else advance(1))
                done, pending = wait(futures, return_when=FIRST_EXCEPTION)
                failed = next((f for f in done if f.exception() is not None), None)
                if failed is not None:
                    raise failed.exception()
                results += [f.result() for f in futures]
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
        results.sort(key=lambda c: (c.prompt_index, c.sample_index))
        if blocked := [c for c in results if "blocked" in c.meta]:
            log.warning(
                "%s's content filter refused %d of %d requests (HTTP 400, code content_filter), the first for prompt "
                "%d: each is recorded as an answer with no text and finish_reason content_filter, as an answer the "
                "filter cut is, and samples.jsonl keeps the endpoint's message under decoding.blocked",
                self.shown_url,
                len(blocked),
                len(results),
                blocked[0].prompt_index + 1,
            )
        return results
