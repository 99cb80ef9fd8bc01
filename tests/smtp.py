"""A real SMTP server on loopback (aiosmtpd) that records what it receives and can be told
to answer the next messages with an error (``451`` temporary, ``550`` permanent)."""

from __future__ import annotations

import email
import email.policy
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.services import free_port


@dataclass
class Received:
    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"]).strip()  # a long encoded subject is folded after "Subject:"

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part else ""

    @property
    def attachments(self) -> list[tuple[str, str, bytes]]:
        return [
            (a.get_filename() or "", a.get_content_type(), bytes(a.get_payload(decode=True)))
            for a in self.message.iter_attachments()
        ]


@dataclass
class _Handler:
    messages: list[Received] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)  # answers for the next DATA commands
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.attempts += 1
            if self.replies:
                return self.replies.pop(0)
            message = email.message_from_bytes(
                envelope.original_content or envelope.content, policy=email.policy.default
            )
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.handler = _Handler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def reset(self) -> None:
        with self.handler.lock:
            self.handler.messages.clear()
            self.handler.replies.clear()
            self.handler.attempts = 0

    def fail_next(self, *replies: str) -> None:
        """E.g. ``fail_next("451 4.3.0 Try again later", "451 4.3.0 Try again later")``."""
        with self.handler.lock:
            self.handler.replies.extend(replies)

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.messages)

    @property
    def attempts(self) -> int:
        return self.handler.attempts

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.envelope_to]
