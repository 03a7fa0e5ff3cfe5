"""Logging: one line per event, JSON on request, and secrets redacted from every record.

Redaction is ours because apprise logs full Telegram URLs (with the bot token) at DEBUG
and exception texts from SMTP libraries can echo credentials. Every handler installed
here runs the filter, whatever logger (scrapy, apprise, urllib3) produced the record.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

MASK = "***"

_known_secrets: set[str] = set()

_PATTERNS = [
    # telegram bot tokens, alone or inside /bot<token>/ paths and tgram:// URLs
    re.compile(r"(?:(?<=bot)|\b)\d{5,}:[A-Za-z0-9_-]{10,}"),
    # credentials inside any URL: scheme://user:password@host
    re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"),
]
# password=..., token=..., key=... query or form values: keep the name, mask the value
_QUERY_SECRET = re.compile(r"(?i)([?&;\s](?:pass|password|pwd|token|key|secret|apikey)=)[^&\s]+")


def register_secret(value: str | None) -> None:
    """Mask this exact string wherever it appears (shorter strings would mask too much)."""
    if value and len(value) >= 4:
        _known_secrets.add(value)
        _known_secrets.add(unquote(value))


def register_url_secrets(url: str) -> None:
    """Register the parts of an apprise URL that may be secret: password, user, path tokens."""
    try:
        parts = urlsplit(url)
    except ValueError:
        register_secret(url)
        return
    register_secret(parts.password)
    if parts.scheme not in ("http", "https", "json", "form", "xml", "mailto", "mailtos"):
        register_secret(parts.username)
        register_secret(parts.netloc.rpartition("@")[2])  # tgram://<id>:<token>/...
        for segment in parts.path.split("/"):
            if len(segment) >= 16:
                register_secret(segment)
    for pair in parts.query.split("&"):
        key, _, value = pair.partition("=")
        if key.lower() in ("pass", "password", "token", "key", "secret", "apikey", "pwd"):
            register_secret(value)


def redact(text: str) -> str:
    for secret in sorted(_known_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    return _QUERY_SECRET.sub(lambda m: m.group(1) + MASK, text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message += " | " + repr(record.exc_info[1])
            record.exc_info = None
            record.exc_text = None
        record.msg = redact(message)
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
                "level": record.levelname,
                "logger": record.name,
                "msg": record.getMessage(),
            },
            ensure_ascii=False,
        )


def setup_logging(level: str = "INFO", json_lines: bool = False, stream: object = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.addFilter(RedactingFilter())
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
