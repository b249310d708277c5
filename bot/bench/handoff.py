"""`make bench-handoff`: how long a staff reply takes to reach the citizen's page, over loopback.

The real gateway process (uvicorn, started as `make run` starts it) on a free loopback port, with
a temporary data directory of its own and a teams file open around the clock. Rasa is not
started: the gateway offers a handoff only after Rasa's marker, so the handoffs are queued
straight in the staff database (`bot.staff.handoff.open_handoff`, what `/handoff_start` does) for
web-chat sessions minted with the gateway's secret key. Everything after that goes over real
sockets, as a browser and the staff console would:

1. every citizen opens `/ws/chat?session=…&since=0`;
2. every agent (role `agent`) logs in over HTTP (CSRF token, session cookie) and opens
   `/staff/ws/live` with the cookie and the gateway's own Origin;
3. all agents at once take one conversation each (`POST /staff/api/handoffs/{id}/take`) and then
   send their replies one after another (`POST …/messages`), all agents concurrently, no pause
   between replies (a harsher load than people typing).

A reply's latency runs from just before its POST to the arrival, at the citizen's socket, of the
`push` frame carrying its text (the gateway stores and pushes before it answers the POST; the
push's seq is checked against the POST's). Also measured: take → the "taken" notice at the
citizen, and the first reply after the take (it meets the queue broadcasts of all the takes).
The bench client shares the machine's cores with the gateway, so its own event loop is part of
every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml
from websockets.legacy.client import WebSocketClientProtocol, connect
from websockets.typing import Origin

from bot.gateway.routes.staff.deps import SESSION_COOKIE
from bot.infra.paths import ensure_private_dir
from bot.launcher.processes import Stack, free_ports, private_umask
from bot.staff.accounts import add_user
from bot.staff.handoff import open_handoff
from bot.staff.tables import connect as connect_staff_db
from channels.webchat.sessions import SessionSigner, sender_for_web

from .report import append_row, commit_id, machine_description, now, p50_p95

logger = logging.getLogger(__name__)

SECTION = "Human handoff: staff reply to citizen page"
HEADER = (
    "| date | machine | commit | handoffs × replies | reply p50 | reply p95 | reply p99 | reply max | "
    "first reply after take p50 / p95 | take → notice p50 / p95 | take response p50 / max (s) | replies/s | "
    "p95 < 200 ms |"
)
INTRO = (
    "`make bench-handoff` (also the end of `make bench`): the real gateway process on loopback, no "
    "Rasa; the handoffs are queued in the staff database for web-chat sessions signed with the "
    "gateway's key. Citizens on `/ws/chat`, agents logged in over HTTP with `/staff/ws/live` open; "
    "all agents take one conversation each at once, then send their replies back to back, all "
    "concurrently. Latency: just before `POST /staff/api/handoffs/{id}/messages` until the `push` "
    "frame with that text arrives at the citizen's WebSocket (the bench client runs on the same "
    "cores). Columns in ms unless named otherwise."
)
TARGET_P95_MS = 200.0
TEAM_ID = "bench"
AGENT_PREFIX = "bench-agent-"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
READY_TIMEOUT_S = 60.0


# ---------------------------------------------------------------------------------------- pure parts
@dataclass(frozen=True)
class Summary:
    """Latencies in milliseconds."""

    count: int
    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, latencies_ms: Sequence[float]) -> Summary:
        if not latencies_ms:
            raise ValueError("no latencies measured")
        ordered = sorted(latencies_ms)
        p50, p95 = p50_p95(ordered)
        return cls(len(ordered), p50, p95, percentile(ordered, 0.99), ordered[-1])


def percentile(ordered: Sequence[float], q: float) -> float:
    """The q-quantile of sorted values, nearest rank below (as `report.p50_p95`)."""
    return ordered[int(q * (len(ordered) - 1))]


def always_open_teams(team_id: str = TEAM_ID) -> str:
    """A teams file (format of data/handoff/teams.yml) with one team open every day, all day."""
    team = {
        "id": team_id,
        "name": "Benchmark",
        "federal_state": "NW",  # a public holiday still closes it: offers only, never take or reply
        "hours": {day: ["00:00-23:59"] for day in WEEKDAYS},
        "reasons": ["human_handoff", "not_understood", "complain"],
        "services": [],
    }
    return yaml.safe_dump({"teams": [team]}, allow_unicode=True, sort_keys=False)


def gateway_env(data_dir: Path, secret_key: str, teams_file: Path) -> dict[str, str]:
    """The gateway's environment: everything under `data_dir`, no Telegram, the per-client limits
    lifted (every socket of the bench comes from 127.0.0.1)."""
    return {
        "BUERGERBOT_DATA_DIR": str(data_dir),
        "BUERGERBOT_TRACKER_DATABASE_URL": f"sqlite:///{data_dir / 'tracker.db'}",  # stays empty: no Rasa
        "BUERGERBOT_STAFF_DATABASE_URL": f"sqlite:///{data_dir / 'staff.db'}",
        "BUERGERBOT_MODELS_DIR": str(data_dir / "models"),
        "BUERGERBOT_SECRET_KEY": secret_key,
        "BUERGERBOT_HANDOFF_TEAMS_FILE": str(teams_file),
        "TELEGRAM_BOT_TOKEN": "",
        "BUERGERBOT_WEBSOCKETS_PER_CLIENT": "1000",
        "BUERGERBOT_MAX_WEBSOCKETS": "1000",
        "BUERGERBOT_LOGIN_ATTEMPTS_PER_CLIENT": "1000",
        "BUERGERBOT_SESSIONS_PER_MINUTE": "1000",
        "BUERGERBOT_RATE_LIMIT_PER_MINUTE": "100000",
    }


@dataclass(frozen=True)
class BenchResult:
    handoffs: int
    replies_per_agent: int
    replies: Summary
    first_reply: Summary
    take_notice: Summary
    take_response: Summary
    reply_seconds: float  # from the first reply's POST to the last reply's arrival

    @property
    def replies_per_second(self) -> float:
        return self.replies.count / self.reply_seconds if self.reply_seconds > 0 else 0.0

    @property
    def target_met(self) -> bool:
        return self.replies.p95 < TARGET_P95_MS


def row_of(result: BenchResult, when: str, machine: str, commit: str) -> str:
    r, first, take, taken = result.replies, result.first_reply, result.take_notice, result.take_response
    cells = [
        when,
        machine,
        commit,
        f"{result.handoffs} × {result.replies_per_agent}",
        f"{r.p50:.1f}",
        f"{r.p95:.1f}",
        f"{r.p99:.1f}",
        f"{r.max:.1f}",
        f"{first.p50:.1f} / {first.p95:.1f}",
        f"{take.p50:.0f} / {take.p95:.0f}",
        f"{taken.p50 / 1000:.1f} / {taken.max / 1000:.1f}",
        f"{result.replies_per_second:.0f}",
        "met" if result.target_met else "MISSED",
    ]
    return "| " + " | ".join(cells) + " |"


def summary_lines(result: BenchResult) -> list[str]:
    def line(name: str, s: Summary) -> str:
        return f"{name:<26} n={s.count:<4} p50 {s.p50:7.1f}  p95 {s.p95:7.1f}  p99 {s.p99:7.1f}  max {s.max:7.1f} ms"

    verdict = "met" if result.target_met else "MISSED"
    return [
        line("reply → citizen page", result.replies),
        line("first reply after take", result.first_reply),
        line("take → notice", result.take_notice),
        line("take → its response", result.take_response),
        f"{result.replies.count} replies in {result.reply_seconds:.1f} s ({result.replies_per_second:.0f}/s)",
        f"[{verdict}] reply p95 < {TARGET_P95_MS:.0f} ms",
    ]


# ---------------------------------------------------------------------------------------- the run
@dataclass
class Citizen:
    session: str
    handoff_id: int
    socket: WebSocketClientProtocol | None = None
    # text of an expected push -> (arrival time, seq)
    _expected: dict[str, asyncio.Future[tuple[float, int]]] = field(default_factory=dict)
    _notice: asyncio.Future[float] | None = None

    def expect(self, text: str) -> asyncio.Future[tuple[float, int]]:
        future: asyncio.Future[tuple[float, int]] = asyncio.get_running_loop().create_future()
        self._expected[text] = future
        return future

    def expect_notice(self) -> asyncio.Future[float]:
        self._notice = asyncio.get_running_loop().create_future()
        return self._notice

    async def read(self) -> None:
        assert self.socket is not None
        try:
            async for raw in self.socket:
                arrived = time.perf_counter()
                frame = json.loads(raw)
                if frame.get("type") != "push":
                    continue
                if frame.get("role") == "system":
                    if self._notice is not None and not self._notice.done():
                        self._notice.set_result(arrived)
                    continue
                for message in frame.get("messages", []):
                    future = self._expected.pop(message.get("text", ""), None)
                    if future is not None and not future.done():
                        future.set_result((arrived, int(frame["seq"])))
        finally:  # a socket the gateway closed fails the waiting agent at once, not at its timeout
            gone = RuntimeError(f"the citizen socket of handoff {self.handoff_id} closed")
            for waiting in [*self._expected.values(), self._notice]:
                if waiting is not None and not waiting.done():
                    waiting.set_exception(gone)


@dataclass
class Agent:
    name: str
    client: httpx.AsyncClient
    console: WebSocketClientProtocol | None = None


async def _drain(socket: WebSocketClientProtocol) -> None:
    """Read and drop every frame (queue broadcasts): an unread socket would hold the server up."""
    async for _ in socket:
        pass


async def _login(agent: Agent, password: str) -> None:
    csrf = (await agent.client.get("/staff/api/csrf")).json()["csrf"]
    response = await agent.client.post(
        "/staff/api/login", json={"name": agent.name, "password": password}, headers={"X-CSRF-Token": csrf}
    )
    response.raise_for_status()
    agent.client.headers["X-CSRF-Token"] = response.json()["csrf"]


@dataclass(frozen=True)
class AgentRun:
    take_notice_ms: float  # POST take until the "taken" notice reaches the citizen
    take_response_ms: float  # POST take until its response (after the queue broadcast to every console)
    replies_ms: list[float]
    first_reply_started: float  # perf_counter times bounding the reply phase
    last_reply_arrived: float


async def _agent_session(agent: Agent, citizen: Citizen, replies: int, timeout: float) -> AgentRun:
    """Take the conversation, then reply `replies` times, one after another."""
    notice = citizen.expect_notice()
    started = time.perf_counter()
    (await agent.client.post(f"/staff/api/handoffs/{citizen.handoff_id}/take")).raise_for_status()
    take_response_ms = (time.perf_counter() - started) * 1000
    take_notice_ms = (await asyncio.wait_for(notice, timeout) - started) * 1000
    latencies: list[float] = []
    first_started = arrived = time.perf_counter()
    for number in range(1, replies + 1):
        text = f"Antwort {number} von {agent.name} in Gespräch {citizen.handoff_id}"
        arrival = citizen.expect(text)
        started = time.perf_counter()
        response = await agent.client.post(
            f"/staff/api/handoffs/{citizen.handoff_id}/messages", json={"text": text, "client_id": uuid.uuid4().hex}
        )
        response.raise_for_status()
        arrived, seq = await asyncio.wait_for(arrival, timeout)
        if seq != response.json()["seq"]:
            raise RuntimeError(f"push seq {seq} is not the stored seq {response.json()['seq']} ({text!r})")
        latencies.append((arrived - started) * 1000)
    return AgentRun(take_notice_ms, take_response_ms, latencies, first_started, arrived)


async def measure(
    base_url: str, sessions: Sequence[tuple[str, int]], agent_names: Sequence[str], password: str, replies: int
) -> BenchResult:
    ws_base = base_url.replace("http://", "ws://", 1)
    # Generous: under 20 simultaneous takes a take's response has been seen after 46 s (it waits for
    # the queue broadcasts of every take before it); the figures say how long things took.
    timeout = 300.0
    citizens = [Citizen(session, handoff_id) for session, handoff_id in sessions]
    async with AsyncExitStack() as stack:
        readers: list[asyncio.Task[None]] = []
        for citizen in citizens:
            citizen.socket = await stack.enter_async_context(
                connect(f"{ws_base}/ws/chat?session={citizen.session}&since=0", max_queue=None)
            )
            first = json.loads(await citizen.socket.recv())
            if first != {"type": "session", "session": citizen.session}:
                raise RuntimeError(f"the gateway did not accept the minted session: {first}")
            readers.append(asyncio.create_task(citizen.read()))
        agents = []
        for name in agent_names:
            client = await stack.enter_async_context(httpx.AsyncClient(base_url=base_url, timeout=timeout))
            agents.append(Agent(name, client))
        for agent in agents:  # one after another: see "logins" in docs/benchmarks.md
            await _login(agent, password)
        for agent in agents:
            cookie = agent.client.cookies.get(SESSION_COOKIE)
            agent.console = await stack.enter_async_context(
                connect(
                    f"{ws_base}/staff/ws/live",
                    origin=Origin(base_url),
                    extra_headers={"Cookie": f"{SESSION_COOKIE}={cookie}"},
                    max_queue=None,
                )
            )
            first = json.loads(await agent.console.recv())
            if first.get("type") != "queue":
                raise RuntimeError(f"the console socket of {agent.name} sent {first}")
            readers.append(asyncio.create_task(_drain(agent.console)))
        logger.info("%d citizens and %d agents connected; taking and replying", len(citizens), len(agents))
        try:
            runs = await asyncio.gather(
                *(
                    _agent_session(agent, citizen, replies, timeout)
                    for agent, citizen in zip(agents, citizens, strict=True)
                )
            )
        finally:
            for task in readers:
                task.cancel()
            for task in readers:
                with suppress(asyncio.CancelledError, Exception):
                    await task
    return BenchResult(
        handoffs=len(citizens),
        replies_per_agent=replies,
        replies=Summary.of([ms for run in runs for ms in run.replies_ms]),
        first_reply=Summary.of([run.replies_ms[0] for run in runs]),
        take_notice=Summary.of([run.take_notice_ms for run in runs]),
        take_response=Summary.of([run.take_response_ms for run in runs]),
        reply_seconds=max(r.last_reply_arrived for r in runs) - min(r.first_reply_started for r in runs),
    )


def _wait_ready(stack: Stack) -> None:
    """Up once the staff console answers (/health says 503 without Rasa, which is not started)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    process = stack.processes["gateway"]
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the gateway exited with {process.returncode}; see {stack.log_file('gateway')}")
        try:
            if httpx.get(f"{stack.gateway_url}/staff/api/csrf", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"the gateway was not ready after {READY_TIMEOUT_S:.0f} s")


def run(handoffs: int, replies: int) -> BenchResult:
    with tempfile.TemporaryDirectory(prefix="handoff-bench-") as tmp:
        work = Path(tmp)
        data_dir = work / "data"
        teams_file = work / "teams.yml"
        teams_file.write_text(always_open_teams(), encoding="utf-8")
        secret_key = secrets.token_urlsafe(32)
        signer = SessionSigner(secret_key)
        env = gateway_env(data_dir, secret_key, teams_file)
        with private_umask():  # as the launcher creates the data directory and its files
            ensure_private_dir(data_dir)
            staff = connect_staff_db(env["BUERGERBOT_STAFF_DATABASE_URL"])
        password = secrets.token_urlsafe(18)
        names = [f"{AGENT_PREFIX}{i:02d}" for i in range(1, handoffs + 1)]
        for name in names:
            add_user(staff, name, password, "agent")
        sessions = []
        for _ in range(handoffs):
            session = signer.new()
            sessions.append((session, open_handoff(staff, sender_for_web(session), TEAM_ID, "human_handoff").id))
        staff.dispose()
        stack = Stack(free_ports(), model=Path("unused"), env=env, log_dir=work / "logs")
        stack.start(("gateway",))
        try:
            _wait_ready(stack)
            return asyncio.run(measure(stack.gateway_url, sessions, names, password, replies))
        except BaseException:
            log = stack.log_file("gateway")
            if log.exists():
                print("--- gateway log (tail) ---", *log.read_text(errors="replace").splitlines()[-30:], sep="\n")
            raise
        finally:
            stack.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--handoffs", type=int, default=20, help="simultaneous handoffs (citizens and agents)")
    parser.add_argument("--replies", type=int, default=25, help="replies each agent sends (default 25)")
    parser.add_argument("--no-record", action="store_true", help="print only, do not append to docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.handoffs < 1 or args.replies < 1:
        parser.error("--handoffs and --replies must be at least 1")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for chatty in ("httpx", "bot.staff"):  # a line per request, per account and per queued handoff
        logging.getLogger(chatty).setLevel(logging.WARNING)
    result = run(args.handoffs, args.replies)
    row = row_of(result, now(), machine_description(), commit_id())
    print(HEADER)
    print(row)
    print(*summary_lines(result), sep="\n")
    if not args.no_record:
        append_row(SECTION, HEADER, row, intro=INTRO)
    return 0


if __name__ == "__main__":
    sys.exit(main())
