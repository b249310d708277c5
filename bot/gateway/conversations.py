"""What the gateway remembers of each conversation between two messages (in memory, bounded):
the payloads of the buttons the bot offered in its last answers, and whether it asked for a secret."""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

from channels.base import OutgoingMessage, expects_secret


@dataclass
class _Conversation:
    offered: deque[frozenset[str]]
    secret_expected: bool = False
    payloads: frozenset[str] = field(default_factory=frozenset)


class ConversationMemory:
    """Per sender: the button payloads of the last `answers` answers and the secret flag. At most
    `max_senders` conversations are kept (least recently used first out); a forgotten one only
    means its old buttons count as typed text."""

    def __init__(self, answers: int = 3, max_senders: int = 50_000, max_payloads: int = 64) -> None:
        self._answers = answers
        self._max_senders = max_senders
        self._max_payloads = max_payloads
        self._conversations: OrderedDict[str, _Conversation] = OrderedDict()

    def record(self, sender: str, answer: list[OutgoingMessage]) -> None:
        """The bot answered `sender`: its buttons are now on offer, and its secret marker holds for the next message."""
        conversation = self._conversations.pop(sender, None) or _Conversation(deque(maxlen=self._answers))
        offered = frozenset(b.payload for m in answer for b in m.buttons if b.payload)
        if offered:
            conversation.offered.append(frozenset(list(offered)[: self._max_payloads]))
            conversation.payloads = frozenset().union(*conversation.offered)
        conversation.secret_expected = expects_secret(answer)
        self._conversations[sender] = conversation
        while len(self._conversations) > self._max_senders:
            self._conversations.popitem(last=False)

    def offered(self, sender: str, payload: str) -> bool:
        conversation = self._conversations.get(sender)
        return conversation is not None and payload in conversation.payloads

    def secret_expected(self, sender: str) -> bool:
        conversation = self._conversations.get(sender)
        return conversation is not None and conversation.secret_expected

    def forget(self, sender: str) -> None:
        self._conversations.pop(sender, None)

    def __len__(self) -> int:
        return len(self._conversations)
