"""Load test of the monitor gateway on loopback: the same requests directly to an upstream and through it.

    python benchmarks/monitor_load.py [--requests 2000] [--concurrency 32] [--delays-ms 0,100]

The upstream is a minimal async OpenAI-compatible ASGI app (defined here); it and the gateway run as
uvicorn subprocesses so the load client's CPU does not run inside them. Requests alternate between
direct and gateway blocks, so both sides see the same machine state (on 2 shared cores that matters).
After each gateway block the judge backlog it left is drained before the next direct block starts,
inside the gateway block's CPU window (not its wall time): until the fifty-first session the judge
worker drained it during the next direct block, and 26-44% of its CPU never reached the table's
'judge CPU' column. That column is the worker's CPU in both sides' windows, per gateway request.
Afterwards every acknowledged exchange (HTTP 200) is looked up in the gateway's database, and the
judge backlog is drained. Writes benchmarks/results/monitor_load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KEY = "bench-key"


# ------------------------------------------------------------------ the fake upstream (raw ASGI)
async def upstream_app(scope: dict, receive: Any, send: Any) -> None:
    """A fast OpenAI-compatible model server: fixed answers after ``fake_delay_ms`` (a request field)."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":  # the client (the killed gateway) went away
            return
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/v1/models":
        return await _send(send, 200, b'{"object":"list","data":[{"id":"fake","object":"model"}]}')
    request = json.loads(body or b"{}")
    delay = float(request.get("fake_delay_ms", 0)) / 1000  # simulated model time, set per request
    if delay:
        await asyncio.sleep(delay)
    prompt = request["messages"][-1]["content"]
    text = (
        "I can't help with that." if "refuse" in prompt else f"A short helpful answer about {prompt[-24:]}."
    )
    head = {"id": "chatcmpl-bench", "created": 1700000000, "model": "fake"}
    if not request.get("stream"):
        payload = head | {
            "object": "chat.completion",
            "usage": {"prompt_tokens": 8, "completion_tokens": 8, "total_tokens": 16},
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            ],
        }
        return await _send(send, 200, json.dumps(payload).encode())
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]}
    )
    for piece in text.split(" "):
        chunk = head | {
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": piece + " "}, "finish_reason": None}],
        }
        await send(
            {
                "type": "http.response.body",
                "body": f"data: {json.dumps(chunk)}\n\n".encode(),
                "more_body": True,
            }
        )
    await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})


async def _send(send: Any, status: int, body: bytes) -> None:
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": body})


# ------------------------------------------------------------------ cheap deterministic judges
class _Refusal:
    name = "bench-refusal"

    def judge(self, prompts: list[str], responses: list[str]) -> list:
        from safealign.judges.base import Verdict

        return [
            Verdict(
                "refusal" if r.startswith("I can't") else "compliance",
                float(r.startswith("I can't")),
                "keyword",
                self.name,
            )
            for r in responses
        ]


class _Harm:
    name = "bench-harm"

    def judge(self, prompts: list[str], responses: list[str]) -> list:
        from safealign.judges.base import Verdict

        return [
            Verdict(
                "harmful" if "harm" in p else "safe",
                float("harm" in p),
                "keyword",
                self.name,
                {"hazard": float("harm" in p)},
            )
            for p in prompts
        ]


class FakeJudges:
    def __init__(self) -> None:
        self.refusal, self.harm = _Refusal(), _Harm()


def fake_judges() -> FakeJudges:
    """``--judge import:monitor_load:fake_judges``: judging costs ~nothing, so the request path is measured."""
    return FakeJudges()


# ------------------------------------------------------------------ processes
# the process started to serve each port, and the log its output goes to (None: the console), for wait_ready
SERVING: dict[int, tuple[subprocess.Popen, Path | None]] = {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env() -> dict[str, str]:
    return os.environ | {
        "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "TOKENIZERS_PARALLELISM": "false",
    }


def start_upstream(port: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "monitor_load:upstream_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, env=env(), cwd=HERE)
    SERVING[port] = (process, None)
    return process


def start_gateway(
    port: int, upstream: str, db: str, log_path: Path, extra: list[str] | None = None
) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "safealign.cli.main",
        "monitor",
        "--upstream",
        upstream,
        "--db",
        db,
        "--port",
        str(port),
        "--api-key",
        KEY,
        "--judge",
        "import:monitor_load:fake_judges",
        *(extra or []),
    ]
    process = subprocess.Popen(
        command, env=env(), cwd=ROOT, stdout=log_path.open("ab"), stderr=subprocess.STDOUT
    )
    SERVING[port] = (process, log_path)
    return process


def wait_ready(url: str, timeout: float = 60.0) -> None:
    """Wait until ``url`` answers 200. The process started to serve its port that exits first (a port taken, a bad
    flag, a failed import) ends the script at once with its exit code and output: it was waited for the whole
    ``timeout``, then a RuntimeError's traceback gave no cause."""
    import httpx

    process, log_path = SERVING.get(urlsplit(url).port, (None, None))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and (code := process.poll()) is not None:
            raise SystemExit(
                f"the process serving {url} (pid {process.pid}) exited with code {code} before it answered; "
                + output_of(log_path)
            )
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s; " + output_of(log_path))


def output_of(log_path: Path | None, lines: int = 15) -> str:
    """Where a served process's output is: the last ``lines`` of its log, or the console above."""
    if log_path is None:
        return "its output is above"
    try:
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    except OSError as error:
        return f"its log {log_path} cannot be read ({error.strerror or error})"
    return f"the last lines of its log {log_path}:\n" + ("\n".join(f"  {line}" for line in tail) or "  (empty)")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()


# ------------------------------------------------------------------ load
class RawConnection:
    """A minimal keep-alive HTTP/1.1 client connection: a few µs of CPU per request where httpx spends
    about a millisecond, so the load generator does not starve the servers it measures (2 cores)."""

    def __init__(self, base: str) -> None:
        host, _, port = base.removeprefix("http://").partition(":")
        self.host, self.port = host, int(port)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        try:
            self.writer.write(head.encode() + body)
            status = int((await self.reader.readline()).split()[1])
            headers = {}
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            if "content-length" in headers:
                content = await self.reader.readexactly(int(headers["content-length"]))
            else:  # chunked (streams)
                parts = []
                while size := int((await self.reader.readline()).split(b";")[0], 16):
                    parts.append(await self.reader.readexactly(size))
                    await self.reader.readline()
                await self.reader.readline()
                content = b"".join(parts)
        except BaseException:
            self.close()
            raise
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, content

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def run_block(
    base: str,
    tag: str,
    start: int,
    count: int,
    concurrency: int,
    stream_every: int = 0,
    sink: list[dict] | None = None,
    delay_ms: float = 0,
) -> list[dict]:
    """``count`` requests at ``concurrency`` (one connection each); each result (appended to ``sink``
    as it completes, when given): marker, status, latency (s), acknowledged."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(start, start + count):
        queue.put_nowait(i)
    results: list[dict] = [] if sink is None else sink

    async def one(connection: RawConnection, i: int) -> None:
        marker = f"{tag}-{i}"
        stream = bool(stream_every) and i % stream_every == 0
        body = {
            "model": "fake",
            "messages": [{"role": "user", "content": f"Explain item {marker}"}],
            "stream": stream,
            "fake_delay_ms": delay_ms,
        }
        began = time.perf_counter()
        try:
            status, content = await connection.post("/v1/chat/completions", json.dumps(body).encode())
            acked = status == 200 and (not stream or content.rstrip().endswith(b"[DONE]"))
            results.append(
                {"marker": marker, "status": status, "latency": time.perf_counter() - began, "acked": acked}
            )
        except (
            OSError,
            ValueError,
            IndexError,
            asyncio.IncompleteReadError,
        ) as error:  # the crash test kills the server
            results.append(
                {
                    "marker": marker,
                    "status": type(error).__name__,
                    "latency": time.perf_counter() - began,
                    "acked": False,
                }
            )

    async def worker() -> None:
        connection = RawConnection(base)
        while not queue.empty():
            await one(connection, queue.get_nowait())
        connection.close()

    await asyncio.gather(*[worker() for _ in range(concurrency)])
    return results


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc): cost per request, whatever else runs."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")
    )


def summarize(results: list[dict], wall_s: float) -> dict[str, float]:
    ok = [r["latency"] * 1000 for r in results if r["status"] == 200]
    return {
        "requests": len(results),
        "ok": len(ok),
        "throughput_rps": len(ok) / wall_s,
        "p50_ms": percentile(ok, 50),
        "p90_ms": percentile(ok, 90),
        "p99_ms": percentile(ok, 99),
        "max_ms": max(ok) if ok else float("nan"),
    }


def histogram_counts(metrics_text: str, name: str) -> list[tuple[float, float]]:
    """(upper bound, cumulative count) of a Prometheus histogram."""
    return [
        (float("inf") if le == "+Inf" else float(le), float(v))
        for le, v in re.findall(rf'{name}_bucket{{le="([^"]+)"}} ([0-9.e+]+)', metrics_text)
    ]


def histogram_quantiles(
    before: list[tuple[float, float]], after: list[tuple[float, float]]
) -> dict[str, float]:
    """p50/p99 upper bounds (ms) of the observations made between two scrapes."""
    buckets = [
        (le, a - b) for (le, a), (_, b) in zip(after, before or [(le, 0.0) for le, _ in after], strict=True)
    ]
    total = buckets[-1][1] if buckets else 0
    return {
        f"p{q}_le_ms": next((le * 1000 for le, c in buckets if total and c >= q / 100 * total), float("nan"))
        for q in (50, 99)
    }


def stored_markers(db_path: Path) -> dict[str, str]:
    """marker -> status for every stored exchange (read straight from SQLite, as an auditor would)."""
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT prompt, status FROM exchanges").fetchall()
    return {prompt.rsplit(" ", 1)[-1]: status for prompt, status in rows}


def wait_backlog_drained(gateway: str, timeout_s: float = 120.0) -> int:
    """Poll the gateway's judge backlog until it is empty (or ``timeout_s``); returns the last backlog."""
    import httpx

    deadline, backlog = time.monotonic() + timeout_s, -1
    while time.monotonic() < deadline:
        backlog = httpx.get(f"{gateway}/admin/stats", headers={"Authorization": f"Bearer {KEY}"}).json()[
            "backlog"
        ]
        if backlog == 0:
            break
        time.sleep(0.2)
    return backlog


def scrape_added(gateway: str) -> list[tuple[float, float]]:
    import httpx

    return histogram_counts(httpx.get(f"{gateway}/metrics").text, "safealign_monitor_gateway_added_seconds")


async def scenario(
    args: argparse.Namespace, delay_ms: float, upstream: str, gateway: str, pids: dict[str, int]
) -> dict[str, Any]:
    """The same requests directly and through the gateway, in alternating blocks; latency, CPU, throughput."""
    results: dict[str, list[dict]] = {"direct": [], "gateway": []}
    walls = {"direct": 0.0, "gateway": 0.0}
    # CPU of each server process while each side's blocks run: direct blocks cost only the upstream.
    cpu = {f"{side}:{name}": 0.0 for side in ("direct", "gateway") for name in pids}
    for base in (upstream, gateway):  # warm-up: connections, code paths, SQLite pages
        await run_block(base, "warm", 0, min(200, args.requests // 10), args.concurrency, delay_ms=delay_ms)
    # The judge worker is a separate process that starts with the gateway: its imports (a second or two
    # of CPU) and the warm-up's backlog are not the gateway's added latency, so they finish first.
    await asyncio.to_thread(wait_backlog_drained, gateway)
    histogram_before = scrape_added(gateway)
    # a block holds at least 4x --concurrency requests (every connection busy for a while): few --requests make fewer
    # blocks than --blocks asks, and the JSON says how many ran
    block, done, rounds = max(args.concurrency * 4, -(-args.requests // args.blocks)), 0, 0  # ceil: no stub block
    while done < args.requests:
        rounds += 1
        count = min(block, args.requests - done)
        for side, base in (("direct", upstream), ("gateway", gateway)):
            began, cpu_before = time.perf_counter(), {n: cpu_seconds(p) for n, p in pids.items()}
            results[side] += await run_block(
                base, f"{side}{delay_ms:g}", done, count, args.concurrency, delay_ms=delay_ms
            )
            walls[side] += time.perf_counter() - began
            # A gateway block's judging is its cost: done before the next direct block, not under it (plus a few stats polls).
            if side == "gateway":
                await asyncio.to_thread(wait_backlog_drained, gateway)
            for name, pid in pids.items():
                cpu[f"{side}:{name}"] += cpu_seconds(pid) - cpu_before[name]
        done += count
    direct, through = (
        summarize(results["direct"], walls["direct"]),
        summarize(results["gateway"], walls["gateway"]),
    )
    return {
        "delay_ms": delay_ms,
        "blocks": rounds,  # per side
        "direct": direct,
        "gateway": through,
        "added_p50_ms": through["p50_ms"] - direct["p50_ms"],
        "added_p99_ms": through["p99_ms"] - direct["p99_ms"],
        "added_server_side": histogram_quantiles(histogram_before, scrape_added(gateway)),
        "cpu_ms_per_request": {k: 1000 * v / args.requests for k, v in cpu.items()},
        "acked_markers": [r["marker"] for r in results["gateway"] if r["acked"]],
    }


# the first column is the scenario's simulated model time per request (--delays-ms)
COLUMNS = ["delay (ms)", "path", "req/s", "p50", "p99", "+p99", "+p99 hist", "up CPU", "gw CPU", "judge CPU"]


def table_rows(scenarios: list[dict[str, Any]]) -> list[list[Any]]:
    """Two table rows per scenario (direct, gateway). The judge worker's CPU counts in both sides' windows: whatever
    it did while a direct block ran was the previous gateway block's judging."""
    rows = []
    for s in scenarios:
        d, g, cpu = s["direct"], s["gateway"], s["cpu_ms_per_request"]
        judge = (cpu.get("direct:worker", 0.0) + cpu["gateway:worker"]) if "gateway:worker" in cpu else ""
        rows.append(
            [
                f"{s['delay_ms']:g}",
                "direct",
                d["throughput_rps"],
                d["p50_ms"],
                d["p99_ms"],
                "",
                "",
                cpu["direct:upstream"],
                "",
                "",
            ]
        )
        rows.append(
            [
                "",
                "gateway",
                g["throughput_rps"],
                g["p50_ms"],
                g["p99_ms"],
                s["added_p99_ms"],
                f"<={s['added_server_side']['p99_le_ms']:g}",
                cpu["gateway:upstream"],
                cpu["gateway:gateway"],
                judge,
            ]
        )
    return rows


def failures(scenarios: list[dict[str, Any]]) -> str:
    """The title's note on requests not answered 200: latency and req/s count answered requests only, so a side that
    failed some would look faster for it."""
    failed = [
        f"{s[side]['requests'] - s[side]['ok']} of {s[side]['requests']} {side} at {s['delay_ms']:g} ms"
        for s in scenarios
        for side in ("direct", "gateway")
        if s[side]["ok"] < s[side]["requests"]
    ]
    return (
        f"NOT ANSWERED 200 (left out of every column): {', '.join(failed)}"
        if failed
        else "every request answered 200"
    )


def main() -> None:
    sys.path.insert(0, str(HERE))
    # Imported here, not at the top: the upstream subprocess imports this module too.
    from _common import positive, report, require_modules

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests", type=positive, default=2000, help="Requests per side (direct and gateway) per scenario."
    )
    parser.add_argument("--concurrency", type=positive, default=32)
    parser.add_argument(
        "--blocks",
        type=positive,
        default=4,
        help="Alternating direct/gateway blocks per side, each of at least 4x --concurrency requests (fewer when "
        "--requests is too small for that: the JSON's scenarios say how many ran).",
    )
    parser.add_argument(
        "--delays-ms",
        default="0,100,250",
        help="Scenarios: simulated model time per request (ms), comma-separated; 0 saturates the gateway.",
    )
    parser.add_argument(
        "--upstream-connections",
        type=positive,
        default=None,
        help="Gateway's upstream pool size (default: its own).",
    )
    args = parser.parse_args()
    require_modules(parser)

    try:  # before any process starts
        delays = [float(d) for d in args.delays_ms.split(",")]
    except ValueError:
        parser.error(
            f"--delays-ms takes comma-separated milliseconds, e.g. 0,100,250; got {args.delays_ms!r}"
        )
    if not all(
        math.isfinite(d) and d >= 0 for d in delays
    ):  # inf would never answer, a negative time is none
        parser.error(
            f"--delays-ms takes finite milliseconds of at least 0, e.g. 0,100,250; got {args.delays_ms!r}"
        )
    workdir = Path(tempfile.mkdtemp(prefix="monitor-load-"))
    db_path = workdir / "monitor.db"
    up_port, gw_port = free_port(), free_port()
    upstream, gateway = f"http://127.0.0.1:{up_port}", f"http://127.0.0.1:{gw_port}"
    extra = ["--upstream-connections", str(args.upstream_connections)] if args.upstream_connections else []
    processes = [
        start_upstream(up_port),
        start_gateway(gw_port, upstream, f"sqlite:///{db_path}", workdir / "gateway.log", extra),
    ]
    pids = {"upstream": processes[0].pid, "gateway": processes[1].pid}
    scenarios, backlog = [], None
    load_before = os.getloadavg()[0]
    try:
        wait_ready(f"{upstream}/v1/models")
        wait_ready(f"{gateway}/health")
        children = Path(f"/proc/{pids['gateway']}/task/{pids['gateway']}/children").read_text().split()
        if children:  # the judge worker process the gateway started
            pids["worker"] = int(children[0])
        for delay in delays:
            scenarios.append(asyncio.run(scenario(args, delay, upstream, gateway, pids)))
        # Durability check: every acknowledged gateway exchange is in the database.
        stored = stored_markers(db_path)
        acked = [m for s in scenarios for m in s.pop("acked_markers")]
        missing = [m for m in acked if m not in stored]
        backlog = wait_backlog_drained(gateway)
    finally:
        for process in processes:
            stop(process)

    rows = table_rows(scenarios)
    title = (
        f"Monitor load: {args.requests} requests per side and scenario at concurrency {args.concurrency}; times in ms, "
        "CPU in ms per request; '+p99' = gateway p99 - direct p99 (client), and the gateway's own added-time histogram; "
        f"{failures(scenarios)}; acknowledged {len(acked)}, missing from the DB {len(missing)}, judge backlog after "
        f"drain {backlog}; "
        f"load average before {load_before:.2f} on {os.cpu_count()} cores"
    )
    report(
        "monitor_load",
        title,
        COLUMNS,
        rows,
        {
            "args": vars(args),
            "scenarios": scenarios,
            "acknowledged": len(acked),
            "missing_from_db": len(missing),
            "stored": len(stored),
            "backlog_after": backlog,
            "target_added_p99_ms": 20,
            "load_average_before": load_before,
        },
    )
    if missing:
        raise SystemExit(
            f"{len(missing)} acknowledged exchanges are missing from the database: {missing[:5]}"
        )


if __name__ == "__main__":
    main()
