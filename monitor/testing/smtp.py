"""A loopback SMTP server (aiosmtpd) that records mail and plays back scripted refusals.

    with SmtpServer(user="user", password="pw-TESTSECRET") as smtp:
        url = smtp.apprise_url(to="analyst@example.org")   # mailto://user:…@127.0.0.1:PORT?…
        smtp.fail_next(2, 451)                            # 451 4.3.0 twice, then 250
        ...
        smtp.received[0]["Subject"], smtp.received[0].get_content()

AUTH is offered without TLS on purpose: it is loopback only, and apprise logs in whenever
the URL carries a user and password (the very secret the redaction tests look for).
"""

from __future__ import annotations

import email.policy
import socket
import threading
import time
from collections import deque
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, Self
from urllib.parse import quote, urlencode

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

REPLIES = {
    421: "421 4.3.2 Service not available, closing channel",
    451: "451 4.3.0 Temporary failure, try again later",
    550: "550 5.7.1 Message rejected",
    554: "554 5.0.0 Transaction failed",
}


class SmtpServer:
    """aiosmtpd on 127.0.0.1; `received` holds accepted messages, in order."""

    def __init__(self, user: str | None = None, password: str | None = None, port: int = 0) -> None:
        self.user, self.password = user, password
        self.port = port or _free_port()
        self.received: list[EmailMessage] = []
        self.refused = 0
        self._script: deque[str] = deque()
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def apprise_url(
        self, to: str = "analyst@example.org", sender: str = "monitor@example.org"
    ) -> str:
        auth = (
            f"{quote(self.user, safe='')}:{quote(self.password or '', safe='')}@"
            if self.user
            else ""
        )
        query = urlencode({"to": to, "from": sender})
        return f"mailto://{auth}127.0.0.1:{self.port}?{query}"

    def fail_next(self, n: int, status: int | str = 451) -> None:
        """Answer the next `n` DATA commands with this code (or full reply line)."""
        reply = REPLIES.get(status, str(status)) if isinstance(status, int) else status
        with self._lock:
            self._script.extend([reply] * n)

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            if self._script:
                self.refused += 1
                return self._script.popleft()
            message = BytesParser(policy=email.policy.default).parsebytes(envelope.original_content)
            self.received.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self.user
            and data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)

    def start(self) -> Self:
        self._controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._authenticate,
            auth_require_tls=False,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def _free_port() -> int:
    # aiosmtpd's Controller cannot start on port 0 (it connects to its own port to check)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
