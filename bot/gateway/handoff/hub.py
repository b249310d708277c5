"""Who is connected right now: citizens' web sockets, channel deliverers, staff console sockets.

In memory, per gateway process; everything that must survive a restart is in the staff
database. An agent counts as online while at least one console socket is open; when the last one
closes, the time is kept so the desk can return their conversations after the grace period."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from channels.base import PushEvent
from channels.port import Deliver

logger = logging.getLogger(__name__)

StaffSink = Callable[[dict[str, Any]], Awaitable[None]]


class LiveHub:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._citizens: dict[str, list[Deliver]] = defaultdict(list)
        self._channels: dict[str, Deliver] = {}
        self._staff: dict[int, list[StaffSink]] = defaultdict(list)
        self.started_at = clock()
        self._disconnected_since: dict[int, float] = {}

    # ---- citizens
    def register_channel(self, prefix: str, deliver: Deliver) -> None:
        """Every push to a sender starting with `prefix` goes to `deliver` (Telegram)."""
        self._channels[prefix] = deliver

    def channel_for(self, sender: str) -> Deliver | None:
        return next((d for p, d in self._channels.items() if sender.startswith(p)), None)

    def attach(self, sender: str, deliver: Deliver) -> None:
        self._citizens[sender].append(deliver)

    def detach(self, sender: str, deliver: Deliver) -> None:
        sinks = self._citizens.get(sender)
        if sinks and deliver in sinks:
            sinks.remove(deliver)
        if not sinks:
            self._citizens.pop(sender, None)

    async def to_citizen_sockets(self, sender: str, event: PushEvent) -> None:
        """To every open web socket of `sender`; a socket that fails is simply gone (the web
        chat replays by seq when it reconnects)."""
        for deliver in list(self._citizens.get(sender, ())):
            try:
                await deliver(sender, event)
            except Exception:
                logger.debug("push to a socket of %s failed", sender, exc_info=True)
                self.detach(sender, deliver)

    # ---- staff
    def attach_staff(self, agent_id: int, sink: StaffSink) -> None:
        self._staff[agent_id].append(sink)
        self._disconnected_since.pop(agent_id, None)

    def detach_staff(self, agent_id: int, sink: StaffSink) -> None:
        sinks = self._staff.get(agent_id)
        if sinks and sink in sinks:
            sinks.remove(sink)
        if not sinks:
            self._staff.pop(agent_id, None)
            self._disconnected_since[agent_id] = self._clock()

    def online(self, agent_id: int) -> bool:
        return bool(self._staff.get(agent_id))

    def agents_online(self) -> int:
        return len(self._staff)

    def agent_ids(self) -> list[int]:
        return list(self._staff)

    def offline_for(self, agent_id: int) -> float:
        """Seconds since the agent's last console closed (since start-up if never seen here)."""
        if self.online(agent_id):
            return 0.0
        return self._clock() - self._disconnected_since.get(agent_id, self.started_at)

    async def to_staff(self, agent_id: int, frame: dict[str, Any]) -> None:
        for sink in list(self._staff.get(agent_id, ())):
            try:
                await sink(frame)
            except Exception:
                logger.debug("push to a console of agent %s failed", agent_id, exc_info=True)
