"""Alert channels: apprise URLs with apprise tags, from monitor.yaml and/or an apprise config.

A channel's *name* is its identity in the outbox (`alerts.channel`); the URL holds secrets
and is used only to build the apprise object, so it never reaches the database, a log or
a page. Routing follows apprise's own tag rules (`apprise.utils.logic.is_exclusive_match`):
a rule tagged `all` reaches every channel, a channel tagged `always` (the default) receives
every alert, otherwise the tags must intersect. A rule without `notify` tags goes to the
`always` channels only, so "high severity to Telegram at once, everything to an e-mail
digest" is a Telegram channel tagged `high` and a mail channel left at `always`.

Channels read from an apprise YAML/TEXT config file (`notify.apprise_config`) are named
`<file stem>-<scheme>-<hash>`, where the hash is apprise's `url_id()` (a digest of the
credentials and host, stable across option changes, never the secret itself). They take
the channel defaults, except that the tag `digest` puts one in digest mode.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import apprise
from apprise.utils.logic import is_exclusive_match

from monitor.config import ChannelSettings, ConfigError, NotifySettings
from monitor.log import register_secret, register_url_secrets

DIGEST_TAG = "digest"


class ChannelConfigError(ConfigError):
    """The apprise config file cannot be used; worded for the operator (one line in the CLI)."""


@dataclass(frozen=True)
class Channel:
    name: str
    url: str = field(repr=False)
    tags: frozenset[str]
    mode: str
    digest_minutes: float
    max_per_hour: int

    @classmethod
    def from_settings(cls, name: str, cfg: ChannelSettings) -> Channel:
        return cls(
            name, cfg.url, frozenset(cfg.tags), cfg.mode, cfg.digest_minutes, cfg.max_per_hour
        )

    def receives(self, notify: Iterable[str]) -> bool:
        """Whether an alert for a rule with these `notify` tags goes to this channel."""
        return bool(is_exclusive_match(logic=set(notify) or {"always"}, data=set(self.tags)))

    def tagged(self, tags: Iterable[str]) -> bool:
        """Strict tag intersection (for operator notices, which `always` must not catch)."""
        return bool(self.tags & set(tags))


def load_channels(settings: NotifySettings) -> dict[str, Channel]:
    """Every configured channel by name; registers each URL's secrets for redaction."""
    channels = {name: Channel.from_settings(name, cfg) for name, cfg in settings.channels.items()}
    if settings.apprise_config:
        path = Path(settings.apprise_config)
        try:
            stat = path.stat()
        except OSError as exc:
            raise ChannelConfigError(
                f"{path}: cannot read apprise config ({exc.strerror})"
            ) from None
        for channel in _from_apprise_config(str(path), stat.st_mtime_ns, stat.st_size):
            channels.setdefault(channel.name, channel)
    for channel in channels.values():
        _register_secrets(channel.url)
    return channels


@lru_cache(maxsize=64)
def _register_secrets(url: str) -> None:
    """Mask every value apprise itself declares private (a Telegram token, a password).

    URL-shape guessing alone misses `tgram://<id>:<token>/…`, whose token urlsplit reads
    as a port, and apprise logs that token at DEBUG inside `…/bot<id>:<token>/sendMessage`.
    """
    register_url_secrets(url)
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if not plugin:
        return
    for key, spec in {**plugin.template_tokens, **plugin.template_args}.items():
        value = getattr(plugin, spec.get("map_to", key), None) if spec.get("private") else None
        if isinstance(value, str):
            register_secret(value)


@lru_cache(maxsize=8)
def _from_apprise_config(path: str, _mtime_ns: int, _size: int) -> tuple[Channel, ...]:
    """Parse once per file version (enqueue runs for every article)."""
    config = apprise.AppriseConfig()
    if not config.add(path):
        raise ChannelConfigError(f"{path}: not a usable apprise config")
    stem = Path(path).stem
    channels: list[Channel] = []
    seen: set[str] = set()
    for service in config.services():
        url = service.url()
        digest = hashlib.sha256((service.url_id() or url).encode()).hexdigest()[:10]
        name = base = f"{stem}-{url.split(':', 1)[0]}-{digest}"
        suffix = 2
        while name in seen:  # same account, different targets: keep file order
            name, suffix = f"{base}-{suffix}", suffix + 1
        seen.add(name)
        tags = sorted(str(tag) for tag in service.tags) or ["always"]
        mode = "digest" if DIGEST_TAG in tags else "immediate"
        cfg = ChannelSettings.model_validate({"url": url, "tags": tags, "mode": mode})
        channels.append(Channel.from_settings(name, cfg))
    return tuple(channels)
