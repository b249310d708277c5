"""The handoff desk: routes a conversation to a person and back (docs/handoff.md).

The chat core asks `route` before calling Rasa: gateway commands (`/handoff_…` payloads the
gateway offered), messages of a conversation in a handoff, and answers to the callback form are
handled here, and Rasa is not called. `offer` turns Rasa's `handoff_offer` marker into the
right offer for the hour. Staff operations store first, then push. A ticker returns the
conversations of agents gone longer than the grace period, offers a callback to citizens who
waited too long, retries deliveries and appends ended handoffs to the tracker store."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

import sqlalchemy as sa

from bot.core import callback_form
from bot.core.opening_hours import day_text_de
from bot.infra.rasa_client import RasaClient, RasaUnavailable
from bot.staff import callbacks, canned, conversation
from bot.staff import handoff as store
from bot.staff.accounts import StaffUser
from bot.staff.errors import InvalidInput, NotAnAgent
from bot.staff.handoff import Handoff, Line
from bot.staff.redaction import redact
from bot.staff.teams import BERLIN, Team, Teams
from channels.base import AgentTyping, Button, IncomingMessage, OutgoingMessage, Push, QueueStatus
from channels.port import ChatRefused, Deliver

from . import texts
from .hub import LiveHub, StaffSink

logger = logging.getLogger(__name__)

LAST_MESSAGES = 3
FULL_REFRESH_SECONDS = 30.0
PUSH_CHANNELS = ("web:", "telegram:")  # channels a person's reply can reach between messages


class HandoffUnavailable(ChatRefused):
    status = 503

    def __init__(self) -> None:
        super().__init__(
            "Ihre Nachricht konnte gerade nicht zugestellt werden. Bitte senden Sie sie in einer Minute noch einmal. "
            + texts.HOTLINE
        )


@dataclass(frozen=True)
class HandoffConfig:
    agent_grace_seconds: float = 60.0
    max_wait_seconds: float = 600.0
    show_agent_names: bool = False  # otherwise the citizen sees the team, never a name
    tick_seconds: float = 2.0


def handoff_offer(replies: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Rasa's marker that a person should be offered (`custom: {"handoff_offer": {...}}`)."""
    for reply in replies:
        custom = reply.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("handoff_offer"), dict):
            offer: dict[str, Any] = custom["handoff_offer"]
            return offer
    return None


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).isoformat(timespec="seconds")


def _buttons(line: Line) -> list[Button]:
    return [Button(b["title"], b["payload"]) for b in line.buttons]


def to_push(line: Line) -> Push:
    role = "agent" if line.author_kind == "agent" else "system"
    return Push(line.seq, role, line.author or None, [OutgoingMessage(line.text, _buttons(line))], _iso(line.at))


def _command(text: str) -> tuple[str, dict[str, Any]]:
    """'/handoff_rate{"value": 1}' -> ('/handoff_rate', {'value': 1})."""
    name, _, rest = text.partition("{")
    try:
        args = json.loads("{" + rest) if rest else {}
    except ValueError:
        args = {}
    return name.strip(), args if isinstance(args, dict) else {}


class HandoffDesk:
    def __init__(
        self,
        staff: sa.engine.Engine,
        tracker: sa.engine.Engine,
        teams: Teams,
        rasa: RasaClient,
        config: HandoffConfig | None = None,
        *,
        remember: Callable[[str, list[OutgoingMessage]], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = staff
        self._tracker = tracker
        self.teams = teams
        self._rasa = rasa
        self.config = config or HandoffConfig()
        self._remember = remember or (lambda sender, answer: None)
        self._clock = clock
        self.hub = LiveHub(clock)
        self._offers: dict[str, tuple[str, str]] = {}  # sender -> (team, reason) last offered
        self._queue_status: dict[str, QueueStatus] = {}
        self._before: dict[int, list[str]] = {}  # handoff id -> citizen's last texts to the bot
        self._last_full_refresh = 0.0
        self._refresh_lock = asyncio.Lock()
        self._ticker: asyncio.Task[None] | None = None

    async def _db_call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(fn, *args, **kwargs)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), BERLIN)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self._ticker = asyncio.create_task(self._tick_forever(), name="handoff-ticker")

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with suppress(asyncio.CancelledError):
                await self._ticker

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.tick_seconds)
            try:
                await self.tick()
            except Exception:
                logger.exception("handoff ticker round failed")

    async def tick(self) -> None:
        """One round of the background duties (tests call it directly)."""
        now = self._clock()
        for handoff in await self._db_call(store.active, self._db):
            if handoff.state == "assigned" and handoff.agent_id is not None:
                if self.hub.offline_for(handoff.agent_id) > self.config.agent_grace_seconds:
                    await self._agent_gone(handoff)
            elif (
                handoff.state == "queued"
                and not handoff.callback_offered
                and now - handoff.queued_at > self.config.max_wait_seconds
            ):
                await self._db_call(store.mark_callback_offered, self._db, handoff.id)
                await self._system(handoff, texts.waited_long(int((now - handoff.queued_at) // 60)))
        await self._retry_deliveries()
        for ended in await self._db_call(store.unsynced, self._db):
            await self._sync(ended)
        # Changes refresh at once; this only keeps the wait estimates current.
        if now - self._last_full_refresh >= FULL_REFRESH_SECONDS:
            await self.refresh()

    # ------------------------------------------------------------------ citizen side
    async def route(self, message: IncomingMessage, text: str) -> list[OutgoingMessage] | None:
        """The answer when the gateway handles this message itself; None: ask Rasa. Raises
        `HandoffUnavailable` when the staff database cannot be reached (the citizen's message
        must neither vanish nor go to the bot while a person may hold the conversation)."""
        try:
            return await self._route(message, text)
        except sa.exc.OperationalError as exc:
            logger.error("staff database unavailable for %s: %s", message.sender.split(":")[0], type(exc).__name__)
            raise HandoffUnavailable() from exc

    async def _route(self, message: IncomingMessage, text: str) -> list[OutgoingMessage] | None:
        sender = message.sender
        if text.startswith("/handoff_"):
            return await self._citizen_command(sender, *_command(text))
        current = await self._db_call(store.active_for, self._db, sender)
        if current is not None and current.state == "queued" and message.payload == texts.LEAVE:
            # Leaving the queue needs no offer: the widget's queue line has the button, and after a
            # gateway restart nothing remembers which buttons were offered.
            return await self._citizen_command(sender, texts.LEAVE, {})
        if current is not None:
            # A button of an earlier bot answer is shown to the person as its title.
            await self._from_citizen(current, message.text or text, message.message_id)
            return []
        draft = await self._db_call(callbacks.draft, self._db, sender)
        if draft is not None:
            return await self._callback_answer(sender, draft[0], draft[1], message.text or text)
        return None

    async def offer(self, sender: str, marker: dict[str, Any]) -> list[OutgoingMessage]:
        """The offer for Rasa's marker: chat now, or a callback when nobody can chat."""
        reason = str(marker.get("reason") or "human_handoff")
        service = marker.get("service") if isinstance(marker.get("service"), str) else None
        team = self.teams.for_handoff(reason, service)
        self._offers[sender] = (team.id, reason)
        why = self._unavailable(team, sender)
        return [texts.offer_callback(team.name, why) if why else texts.offer_chat(team.name)]

    def _unavailable(self, team: Team, sender: str) -> str | None:
        """Why `team` cannot chat with `sender` now, or None when it can."""
        if not sender.startswith(PUSH_CHANNELS):  # e.g. /api/chat: nothing could reach the citizen
            return texts.NO_LIVE_CHAT_HERE
        state = team.state(self.now())
        if not state.open_now:
            opening = state.changes_at
            when = f"{day_text_de(opening.date())}, {opening:%H:%M} Uhr" if opening else None
            return texts.closed(team.name, when)
        if self.hub.agents_online() == 0:
            return texts.nobody_online(team.name)
        return None

    async def _citizen_command(self, sender: str, name: str, args: dict[str, Any]) -> list[OutgoingMessage]:
        current = await self._db_call(store.active_for, self._db, sender)
        team_id, reason = self._offers.get(sender, (self.teams.default.id, "human_handoff"))
        team = self.teams[current.team if current else team_id]
        if name == texts.START:
            if current is not None:
                return [texts.queued(self.teams[current.team].name)]
            why = self._unavailable(team, sender)
            if why:
                return [texts.offer_callback(team.name, why)]
            await self._db_call(store.open_handoff, self._db, sender, team.id, reason, self._clock())
            await self.refresh()
            return [texts.queued(team.name)]
        if name == texts.LEAVE:
            if current is not None and current.state == "queued":
                await self._end(current, "abandoned")
            return [OutgoingMessage(texts.LEFT)]
        if name == texts.CALLBACK:
            if current is not None and current.state == "queued":
                await self._end(current, "abandoned")
            form, question = callback_form.start()
            await self._db_call(callbacks.save_draft, self._db, sender, team.id, form.to_dict())
            return [OutgoingMessage(question)]
        if name == texts.WAIT:
            return [OutgoingMessage(texts.KEEP_WAITING)]
        if name == texts.RATE:
            value = args.get("value")
            rated = value in (1, -1) and await self._db_call(store.rate, self._db, sender, value)
            return [OutgoingMessage(texts.RATED if rated else texts.NOTHING_TO_RATE)]
        return [OutgoingMessage(texts.DECLINED)]  # /handoff_decline and anything unknown

    async def _callback_answer(
        self, sender: str, team_id: str, stored: dict[str, Any], text: str
    ) -> list[OutgoingMessage]:
        step = callback_form.answer(callback_form.CallbackForm.from_dict(stored), text)
        if step.cancelled:
            await self._db_call(callbacks.drop_draft, self._db, sender)
            return [OutgoingMessage(texts.CALLBACK_CANCELLED)]
        if not step.done:
            await self._db_call(callbacks.save_draft, self._db, sender, team_id, step.form.to_dict())
            return [OutgoingMessage(step.text)]
        form = step.form
        assert form.name and form.contact and form.topic and form.preferred_time  # done: all answered
        reference = await self._db_call(
            callbacks.submit,
            self._db,
            sender,
            team_id,
            name=form.name,
            contact_kind=form.contact.kind,
            contact=form.contact.value,
            topic=form.topic,
            preferred_time=form.preferred_time,
        )
        await self._broadcast_callbacks()
        return [OutgoingMessage(texts.callback_stored(callback_form.summary_de(form), reference))]

    async def _from_citizen(self, handoff: Handoff, text: str, message_id: str | None) -> None:
        line = await self._db_call(store.add_message, self._db, handoff.id, "citizen", text, client_id=message_id)
        if handoff.state == "assigned" and handoff.agent_id is not None:
            await self.hub.to_staff(handoff.agent_id, {"type": "message", "handoff": handoff.id, "line": _line(line)})
        else:
            await self.refresh()  # the queue shows the last messages

    async def citizen_left(self, sender: str) -> None:
        """The citizen started a new conversation: a queued handoff is abandoned, a held one is
        told to the agent (who closes it), a callback form is dropped."""
        current = await self._db_call(store.active_for, self._db, sender)
        if current is not None and current.state == "queued":
            await self._end(current, "abandoned")
        elif current is not None:
            await self._from_citizen(current, texts.CITIZEN_RESTARTED, None)
        await self._db_call(callbacks.drop_draft, self._db, sender)

    async def citizen_typing(self, sender: str, on: bool) -> None:
        current = await self._db_call(store.active_for, self._db, sender)
        if current is not None and current.state == "assigned" and current.agent_id is not None:
            await self.hub.to_staff(current.agent_id, {"type": "typing", "handoff": current.id, "on": on})

    @asynccontextmanager
    async def subscribe(self, sender: str, deliver: Deliver, since: int) -> AsyncIterator[None]:
        self.hub.attach(sender, deliver)
        try:
            for line in await self._db_call(store.pushes_after, self._db, sender, since):
                await deliver(sender, to_push(line))
            status = self._queue_status.get(sender)
            if status is not None:
                await deliver(sender, status)
            yield
        finally:
            self.hub.detach(sender, deliver)

    async def updates(self, sender: str, since: int) -> tuple[list[Push], QueueStatus | None]:
        lines = await self._db_call(store.pushes_after, self._db, sender, since)
        return [to_push(line) for line in lines], self._queue_status.get(sender)

    # ------------------------------------------------------------------ pushing
    async def _system(self, handoff: Handoff, message: OutgoingMessage | str) -> None:
        message = OutgoingMessage(message) if isinstance(message, str) else message
        buttons = [{"title": b.title, "payload": b.payload} for b in message.buttons]
        line = await self._db_call(store.add_message, self._db, handoff.id, "system", message.text, buttons=buttons)
        await self._push(line)
        if handoff.agent_id is not None:
            await self.hub.to_staff(handoff.agent_id, {"type": "message", "handoff": handoff.id, "line": _line(line)})

    async def _push(self, line: Line) -> None:
        push = to_push(line)
        if push.messages[0].buttons:
            self._remember(line.sender_id, push.messages)  # its buttons count as offered
        await self.hub.to_citizen_sockets(line.sender_id, push)
        deliver = self.hub.channel_for(line.sender_id)
        if deliver is not None:
            try:
                await deliver(line.sender_id, push)
            except Exception:  # noqa: BLE001 - kept undelivered; the ticker retries
                logger.warning("push %s to %s failed; will retry", line.seq, line.sender_id.split(":")[0])
                return
            await self._db_call(store.mark_delivered, self._db, [line.seq])

    async def _retry_deliveries(self) -> None:
        for prefix in ("telegram:",):
            if self.hub.channel_for(prefix) is None:
                continue
            for line in await self._db_call(store.undelivered, self._db, prefix):
                deliver = self.hub.channel_for(line.sender_id)
                if deliver is None:
                    break
                try:
                    await deliver(line.sender_id, to_push(line))
                except Exception:  # noqa: BLE001 - try again next round
                    logger.info("retrying push %s later", line.seq)
                    break
                await self._db_call(store.mark_delivered, self._db, [line.seq])

    async def _status(self, sender: str, status: QueueStatus) -> None:
        await self.hub.to_citizen_sockets(sender, status)
        deliver = self.hub.channel_for(sender)
        if deliver is not None:
            with suppress(Exception):  # a queue position is not worth a retry: the next one comes
                await deliver(sender, status)

    async def refresh(self) -> None:
        """Push changed queue positions to citizens and the queue to every console."""
        async with self._refresh_lock:
            active = await self._db_call(store.active, self._db)
            statuses: dict[str, QueueStatus] = {}
            handling: dict[str, float] = {}
            for item in active:
                position = store.queue_position(active, item.id)
                if position is None:
                    continue
                if item.team not in handling:
                    handling[item.team] = await self._db_call(store.handling_seconds, self._db, item.team)
                wait = store.estimated_wait_minutes(position, handling[item.team], self.hub.agents_online())
                statuses[item.sender_id] = QueueStatus(position, wait)
            for sender in set(self._queue_status) - set(statuses):
                await self._status(sender, QueueStatus(None))
            for sender, status in statuses.items():
                if self._queue_status.get(sender) != status:
                    await self._status(sender, status)
            self._queue_status = statuses
            await self._broadcast_queue(active)
            self._last_full_refresh = self._clock()

    # ------------------------------------------------------------------ staff side
    def _require_agent(self, user: StaffUser) -> None:
        if not user.can_answer:
            raise NotAnAgent(user.name)

    def _author(self, user: StaffUser, team: Team) -> str:
        return f"{user.name} (Team {team.name})" if self.config.show_agent_names else f"Team {team.name}"

    def _item(self, handoff: Handoff, last: list[str]) -> dict[str, Any]:
        return {
            "id": handoff.id,
            "team": handoff.team,
            "team_name": self.teams[handoff.team].name,
            "channel": handoff.channel,
            "state": handoff.state,
            "waiting_seconds": round(max(self._clock() - handoff.queued_at, 0)),
            "reason": handoff.reason,
            "last_messages": last,
            "agent": handoff.agent,
            "created_at": handoff.created_at,
        }

    def _items_sync(self, active: list[Handoff]) -> dict[int, dict[str, Any]]:
        """The console's item of every active handoff, built once per refresh for all consoles:
        one query for the handoffs' own citizen messages, and the conversation before the handoff
        read from the tracker store once per handoff (it does not change while a person has it)."""
        own = store.recent_citizen_messages(self._db, [h.id for h in active], LAST_MESSAGES)
        items = {}
        for handoff in active:
            from_handoff = [redact(text) for text in own.get(handoff.id, [])]
            if len(from_handoff) < LAST_MESSAGES:
                before = self._before.get(handoff.id)
                if before is None:
                    before = conversation.recent_citizen_texts(self._tracker, handoff.sender_id, LAST_MESSAGES)
                    self._before[handoff.id] = before
                from_handoff = (before + from_handoff)[-LAST_MESSAGES:]
            items[handoff.id] = self._item(handoff, from_handoff)
        for stale in set(self._before) - set(items):
            del self._before[stale]
        return items

    def _frame_for(
        self, active: list[Handoff], items: dict[int, dict[str, Any]], user_id: int | None
    ) -> dict[str, Any]:
        now = self.now()
        teams = []
        for team in self.teams:
            queue = [items[h.id] for h in active if h.state == "queued" and h.team == team.id]
            teams.append({**team.to_dict(now), "agents_online": self.hub.agents_online(), "queue": queue})
        mine = [items[h.id] for h in active if h.state == "assigned" and h.agent_id == user_id]
        return {"type": "queue", "teams": teams, "mine": mine}

    async def snapshot(self, user: StaffUser) -> dict[str, Any]:
        self._require_agent(user)
        active = await self._db_call(store.active, self._db)
        items = await self._db_call(self._items_sync, active)
        return self._frame_for(active, items, user.id)

    async def _broadcast_queue(self, active: list[Handoff]) -> None:
        agents = self.hub.agent_ids()
        if not agents:
            return
        items = await self._db_call(self._items_sync, active)
        for agent_id in agents:
            await self.hub.to_staff(agent_id, self._frame_for(active, items, agent_id))

    async def _broadcast_callbacks(self) -> None:
        for agent_id in self.hub.agent_ids():
            await self.hub.to_staff(agent_id, {"type": "callbacks"})

    async def transcript(self, handoff_id: int, user: StaffUser) -> dict[str, Any]:
        self._require_agent(user)
        handoff = await self._db_call(store.get, self._db, handoff_id)
        original = user.is_admin
        before = await self._db_call(conversation.bot_conversation, self._tracker, handoff.sender_id, original=original)
        lines = [_line(line) for line in await self._db_call(store.messages, self._db, handoff_id)]
        return {"handoff": self._item(handoff, []), "transcript": before + lines, "redacted": not original}

    async def take(self, handoff_id: int, user: StaffUser) -> dict[str, Any]:
        self._require_agent(user)
        handoff = await self._db_call(store.take, self._db, handoff_id, user, self._clock())
        await self._system(handoff, texts.taken(self._author(user, self.teams[handoff.team])))
        await self.refresh()
        return self._item(handoff, [])

    async def reply(self, handoff_id: int, user: StaffUser, text: str, client_id: str | None) -> Line:
        self._require_agent(user)
        handoff = await self._db_call(store.get, self._db, handoff_id)
        store.check_holder(handoff, user)
        author = self._author(user, self.teams[handoff.team])
        line: Line = await self._db_call(
            store.add_message, self._db, handoff_id, "agent", text, author=author, client_id=client_id
        )
        await self._push(line)
        await self.hub.to_citizen_sockets(handoff.sender_id, AgentTyping(False, author))
        return line

    async def staff_typing(self, user: StaffUser, handoff_id: int, on: bool) -> None:
        handoff = await self._db_call(store.get, self._db, handoff_id)
        if handoff.state != "assigned" or handoff.agent_id != user.id:
            return
        event = AgentTyping(on, self._author(user, self.teams[handoff.team]))
        await self.hub.to_citizen_sockets(handoff.sender_id, event)
        deliver = self.hub.channel_for(handoff.sender_id)
        if deliver is not None and on:
            with suppress(Exception):
                await deliver(handoff.sender_id, event)

    async def transfer(self, handoff_id: int, user: StaffUser, team_id: str) -> dict[str, Any]:
        self._require_agent(user)
        team = self.teams.get(team_id)
        if team is None:
            raise InvalidInput(f"Unbekanntes Team {team_id!r}.")
        handoff = await self._db_call(store.transfer, self._db, handoff_id, user, team.id)
        await self._system(handoff, texts.transferred(team.name))
        await self.hub.to_staff(user.id, {"type": "ended", "handoff": handoff_id, "state": "queued"})
        await self.refresh()
        return self._item(handoff, [])

    async def handback(self, handoff_id: int, user: StaffUser) -> dict[str, Any]:
        self._require_agent(user)
        handoff = await self._db_call(store.get, self._db, handoff_id)
        store.check_holder(handoff, user)
        await self._system(handoff, texts.HANDED_BACK)
        ended = await self._end(handoff, "returned", user)
        return self._item(ended, [])

    async def close(self, handoff_id: int, user: StaffUser) -> dict[str, Any]:
        self._require_agent(user)
        handoff = await self._db_call(store.get, self._db, handoff_id)
        store.check_holder(handoff, user)
        await self._system(handoff, texts.closed_by_agent())
        ended = await self._end(handoff, "closed", user)
        return self._item(ended, [])

    async def _end(
        self, handoff: Handoff, state: Literal["returned", "closed", "abandoned"], user: StaffUser | None = None
    ) -> Handoff:
        ended: Handoff = await self._db_call(store.end, self._db, handoff.id, state, agent=user, now=self._clock())
        if handoff.agent_id is not None:
            await self.hub.to_staff(handoff.agent_id, {"type": "ended", "handoff": handoff.id, "state": state})
        await self._sync(ended)
        await self.refresh()
        return ended

    async def _agent_gone(self, handoff: Handoff) -> None:
        logger.info("agent of handoff %s gone longer than the grace period: back to the queue", handoff.id)
        requeued = await self._db_call(store.requeue, self._db, handoff.id, now=self._clock())
        active = await self._db_call(store.active, self._db)
        await self._system(requeued, texts.agent_gone(store.queue_position(active, handoff.id)))
        await self.refresh()

    async def _sync(self, handoff: Handoff) -> None:
        """Append an ended handoff's messages to the tracker store; retried by the ticker."""
        lines = await self._db_call(store.messages, self._db, handoff.id)
        try:
            await self._rasa.append_events(handoff.sender_id, store.tracker_events(lines))
        except RasaUnavailable:
            logger.warning("handoff %s not yet in the tracker store (Rasa unavailable); will retry", handoff.id)
            return
        await self._db_call(store.mark_synced, self._db, handoff.id)

    @asynccontextmanager
    async def staff_socket(self, user: StaffUser, sink: StaffSink) -> AsyncIterator[None]:
        self._require_agent(user)
        self.hub.attach_staff(user.id, sink)
        try:
            await sink(await self.snapshot(user))
            await self.refresh()  # agents online changed for everyone
            yield
        finally:
            self.hub.detach_staff(user.id, sink)
            with suppress(Exception):
                await self.refresh()

    # ------------------------------------------------------------------ callbacks and canned answers
    async def callbacks(self, user: StaffUser, status: str | None) -> list[dict[str, Any]]:
        self._require_agent(user)
        return [r.to_dict() for r in await self._db_call(callbacks.listing, self._db, status)]

    async def assign_callback(self, user: StaffUser, request_id: int) -> dict[str, Any]:
        self._require_agent(user)
        result: dict[str, Any] = (await self._db_call(callbacks.assign, self._db, request_id, user)).to_dict()
        await self._broadcast_callbacks()
        return result

    async def callback_done(self, user: StaffUser, request_id: int) -> dict[str, Any]:
        self._require_agent(user)
        result: dict[str, Any] = (await self._db_call(callbacks.done, self._db, request_id, user)).to_dict()
        await self._broadcast_callbacks()
        return result

    async def canned(self, user: StaffUser, team: str | None) -> list[dict[str, Any]]:
        self._require_agent(user)
        return list(await self._db_call(canned.listing, self._db, team))


def _line(line: Line) -> dict[str, Any]:
    return {
        "seq": line.seq,
        "author_kind": line.author_kind,
        "author": line.author,
        "text": line.text,
        "time": line.at,
        "buttons": line.buttons,
    }
