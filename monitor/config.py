"""Typed settings, loaded once from `monitor.yaml` plus environment overrides.

This is the only module that reads configuration. Every value has a default, so an
empty or missing file is a valid configuration; unknown keys and wrong types are refused
with one message that names the key (a typo must not silently fall back to a default).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

ENV_CONFIG = "MONITOR_CONFIG"
ENV_DATABASE_URL = "MONITOR_DATABASE_URL"
ENV_NOTIFY_URLS = "MONITOR_NOTIFY_URLS"
ENV_DATA_DIR = "MONITOR_DATA_DIR"
DEFAULT_CONFIG_FILE = "monitor.yaml"
DEFAULT_SOURCES_DIR = "sources.d"


class ConfigError(Exception):
    """A configuration problem, worded for the person editing the file."""


# --- paths: every path in the config file is read relative to that file's folder ---
CONFIG_DIR = "config_dir"  # validation-context key: the folder relative paths start from


def resolve_path(value: str | os.PathLike[str], base: Path | None) -> Path:
    """`value` as an absolute path if a base folder is known (~ is expanded first)."""
    path = Path(value).expanduser()
    return path if base is None or path.is_absolute() else base / path


def _resolve_in_context(value: Path, info: ValidationInfo) -> Path:
    return resolve_path(value, (info.context or {}).get(CONFIG_DIR))


# A path written in the config file (validated with a CONFIG_DIR context it becomes absolute;
# `Settings(...)` built in code keeps paths as given). New path keys should use this type.
ConfigPath = Annotated[Path, AfterValidator(_resolve_in_context)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceDeclaration(_Section):
    """A source without code, declared in `sources.d/*.yaml` or under `sources.<key>`:
    `home` is enough; the rest narrows or adds to what the generic path finds. The
    `spiders.declared` module turns it into a Source (and checks the patterns)."""

    name: str | None = None
    home: str | list[str] | None = None  # home page(s); their hosts are the source's hosts
    hosts: list[str] = Field(default_factory=list)  # more hostnames of the source
    language: str | None = None
    feeds: list[str] = Field(default_factory=list)
    sitemaps: list[str] = Field(default_factory=list)
    listings: list[str] = Field(default_factory=list)  # URL templates with {page}
    sections: list[str] = Field(default_factory=list)  # section fronts to read every time
    article_patterns: list[str] = Field(default_factory=list)  # regexes on path+query
    wordpress: bool = False  # probe the WordPress REST API (/wp-json/wp/v2/posts)
    archive: bool = False  # publishes no more: for back-fill
    crawl_delay: float | None = Field(None, ge=0)
    listing_link_css: str | None = None
    listing_date_css: str | None = None
    host_aliases: dict[str, str] = Field(default_factory=dict)  # alias -> canonical host
    path_aliases: list[tuple[str, str]] = Field(default_factory=list)  # (regex, replacement)
    hints: dict[str, Any] = Field(default_factory=dict)  # SourceHints fields
    expect: list[str] = Field(default_factory=list)  # discovery kinds that must deliver
    declared_in: str | None = None  # set by the loader: the file it came from


DECLARATION_FIELDS = frozenset(SourceDeclaration.model_fields) - {"declared_in"}


class SourceSettings(SourceDeclaration):
    enabled: bool = True
    interval_minutes: float = Field(15, gt=0)
    jitter_seconds: float = Field(30, ge=0)
    # public host -> base URL actually fetched, e.g. {"www.state.gov": "http://127.0.0.1:8001"}
    base_urls: dict[str, str] = Field(default_factory=dict)
    max_pages: int = Field(200, gt=0)
    timeout_minutes: float = Field(20, gt=0)


class CrawlSettings(_Section):
    user_agent: str = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0 Safari/537.36"
    )
    download_timeout: float = Field(30, gt=0)
    max_bytes: int = Field(8 * 1024 * 1024, gt=0)
    warn_bytes: int = Field(1024 * 1024, gt=0)
    redirect_max_times: int = Field(5, ge=0)
    retry_times: int = Field(2, ge=0)
    autothrottle: bool = True
    download_delay: float = Field(1.0, ge=0)
    obey_robots: bool = True
    # ceiling on a site-requested delay (robots.txt crawl-delay, Source.crawl_delay); tests set 0
    max_crawl_delay: float = Field(30, ge=0)
    # an unreadable robots.txt (5xx, timeout, refused) falls back on the last copy read
    # this recently; past that (or with 0) the host is not crawled until it answers
    robots_max_age_hours: float = Field(48, ge=0)
    # crawl and re-check processes the daemon runs at once (each is a Scrapy interpreter,
    # ~60-90 MB while it lives); the others wait for a free one
    max_processes: int = Field(1, gt=0)
    # a Wayback-compatible web archive (CDX API) for `monitor crawl KEY --archive`
    archive_url: str = "https://web.archive.org"


class PollingSettings(_Section):
    """Adaptive polling (`monitor/service/polling.py`) and WebSub pushes (`websub.py`).

    Off by default: each source is then polled every `sources.<key>.interval_minutes`,
    every discovery path each time. On, each source's next poll follows its own
    publication rhythm between `floor_minutes` and `ceiling_minutes`, most polls read only
    its feeds (a conditional GET), and a full walk of every path runs every
    `full_every_minutes` (later if the budget needs it).
    """

    adaptive: bool = False
    floor_minutes: float = Field(1, gt=0)
    ceiling_minutes: float = Field(60, gt=0)
    # the most requests a minute to one host, averaged (full walks and article fetches count)
    host_requests_per_minute: float = Field(1, gt=0)
    full_every_minutes: float = Field(180, gt=0)
    history_days: float = Field(14, gt=0)  # publication history the rhythm is read from
    # subscribe to the WebSub hub a feed names (the callback is on review.base_url)
    websub: bool = True
    websub_lease_hours: float = Field(24, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> PollingSettings:
        if self.floor_minutes > self.ceiling_minutes:
            raise ValueError("floor_minutes must not exceed ceiling_minutes")
        return self


class ChannelSettings(_Section):
    """One alert channel: an apprise URL (secrets may come from env via ${VAR}).

    Tags route like apprise's: the default `always` receives every alert; a channel tagged
    e.g. `high` receives only rules whose `notify` names `high` (or `all`).
    """

    url: str
    tags: list[str] = Field(default_factory=lambda: ["always"])
    mode: Literal["immediate", "digest"] = "immediate"
    digest_minutes: float = Field(60, gt=0)
    max_per_hour: int = Field(20, gt=0)


class NotifySettings(_Section):
    channels: dict[str, ChannelSettings] = Field(default_factory=dict)
    apprise_config: ConfigPath | None = None  # path to an apprise YAML/TEXT config file
    recent_hours: float = Field(48, gt=0)  # only items published this recently alert one by one
    max_attempts: int = Field(8, gt=0)
    backoff_seconds: float = Field(30, gt=0)
    backoff_max_seconds: float = Field(3600, gt=0)
    interval_seconds: float = Field(30, gt=0)
    operator_tags: list[str] = Field(default_factory=lambda: ["operator"])


class ReviewSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, gt=0, lt=65536)
    base_url: str = "http://127.0.0.1:8080"
    # users: name -> password hash (see `monitor users hash`); MONITOR_ADMIN_PASSWORD adds "admin"
    users: dict[str, str] = Field(default_factory=dict)
    session_secret: str | None = None


ChangeKind = Literal["edited", "removed", "moved", "restored"]


class RecheckSettings(_Section):
    """Re-checks of flagged articles (edits, removals) and the alerts they raise."""

    enabled: bool = True
    # hours after an article was first seen at which it is fetched again (conditional GET)
    schedule_hours: list[float] = Field(default_factory=lambda: [1.0, 6.0, 24.0, 72.0, 168.0])
    interval_minutes: float = Field(10, gt=0)  # how often the daemon looks for due re-checks
    max_per_round: int = Field(200, gt=0)  # per source; the rest waits for the next round
    # review states whose edits/removals alert; "all" = every flagged item
    alert_states: list[str] | Literal["all"] = Field(
        default_factory=lambda: ["relevant", "escalated"]
    )
    alert_changes: list[ChangeKind] = Field(default_factory=lambda: _alert_changes())


def _alert_changes() -> list[ChangeKind]:
    return ["edited", "removed"]


class BriefingSettings(_Section):
    """The scheduled briefing (`monitor report` in short) sent through the outbox."""

    cron: str | None = None  # crontab line in UTC, e.g. "0 6 * * mon"; None: not sent
    days: float = Field(7, gt=0)  # the period each briefing covers, ending when it is sent
    tags: list[str] = Field(default_factory=lambda: ["briefing"])  # channels tagged so get it

    @field_validator("cron")
    @classmethod
    def _crontab(cls, value: str | None) -> str | None:
        if value is not None:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(value)
            except ValueError as exc:
                raise ValueError(f"not a crontab line ({exc})") from None
        return value


class TrendsSettings(_Section):
    """Spike detection; the method and why these defaults: monitor/trends/spikes.py."""

    windows_hours: list[Annotated[int, Field(ge=1, le=168)]] = Field(
        default_factory=lambda: [1, 24], min_length=1
    )
    baseline_days: int = Field(28, ge=7, le=365)
    min_history_days: int = Field(14, ge=1)
    min_stories: int = Field(3, ge=1)
    alpha: float = Field(0.001, gt=0, lt=0.5)
    floor_per_day: float = Field(0.1, gt=0)
    quiet_hours: float = Field(12, ge=0)
    per_source: bool = True
    check_minutes: float = Field(15, gt=0)
    top_stories: int = Field(5, ge=1, le=50)
    briefing: BriefingSettings = Field(default_factory=BriefingSettings)


def _sqlite_url(url: str, base: Path | None) -> str:
    """A relative SQLite file in a database URL is a path like any other."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and url[len(prefix) :].partition("?")[0] not in ("", ":memory:"):
        path, sep, query = url[len(prefix) :].partition("?")
        return prefix + str(resolve_path(path, base)) + sep + query
    return url


def _sqlite_url_in_context(url: str | None, info: ValidationInfo) -> str | None:
    return url and _sqlite_url(url, (info.context or {}).get(CONFIG_DIR))


class Settings(_Section):
    data_dir: ConfigPath = Path("data")
    database_url: Annotated[str | None, AfterValidator(_sqlite_url_in_context)] = None
    # Your own rules, on top of the pack shipped in the package (same rule id replaces it);
    # builtin_rules: false uses rules_dir alone.
    rules_dir: ConfigPath | None = None
    builtin_rules: bool = True
    sources_dir: ConfigPath = Path(DEFAULT_SOURCES_DIR)  # sources declared in YAML, one file each
    log_json: bool = False
    log_level: str = "INFO"
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    polling: PollingSettings = Field(default_factory=PollingSettings)
    sources: dict[str, SourceSettings] = Field(default_factory=dict)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    recheck: RecheckSettings = Field(default_factory=RecheckSettings)
    trends: TrendsSettings = Field(default_factory=TrendsSettings)

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'monitor.db').resolve()}"

    def source(self, key: str) -> SourceSettings:
        return self.sources.get(key) or SourceSettings()

    @model_validator(mode="after")
    def _some_rules(self) -> Settings:
        if not self.builtin_rules and self.rules_dir is None:
            raise ValueError("builtin_rules is false, so rules_dir must name a rules folder")
        return self


def _check_inputs(settings: Settings, file: Path | None) -> None:
    """The rules folder must exist: a daemon started from another folder must stop with
    one line, not run on without its rules (data_dir is created; a missing
    notify.apprise_config is reported by the alert channels, also as one line)."""
    inputs = {"rules_dir": settings.rules_dir}
    for key, path in inputs.items():
        if path is not None and not path.exists():
            origin = f" (set in {file}; relative paths start from its folder)" if file else ""
            raise ConfigError(f"{key}: {path}: not found{origin}")


_ENV_REF = re.compile(r"\$\{([A-Z0-9_]+)\}")


def _expand_env(value: Any) -> Any:
    """Replace ${VAR} in strings so secrets can stay out of the YAML file."""
    if isinstance(value, str):
        return _ENV_REF.sub(lambda m: os.environ.get(m.group(1), ""), value)
    if isinstance(value, dict):
        return {k: _expand_env(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v) for v in value]
    return value


def _parse_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: not valid YAML") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None


def _read_yaml(path: Path) -> dict[str, Any]:
    data = _parse_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys")
    return data


def _env_overrides(data: dict[str, Any]) -> dict[str, Any]:
    """Environment values win over the file; their relative paths start from the cwd."""
    if url := os.environ.get(ENV_DATABASE_URL):
        data["database_url"] = _sqlite_url(url, Path.cwd())
    if data_dir := os.environ.get(ENV_DATA_DIR):
        data["data_dir"] = str(resolve_path(data_dir, Path.cwd()))
    if urls := os.environ.get(ENV_NOTIFY_URLS):
        notify = dict(data.get("notify") or {})
        channels = dict(notify.get("channels") or {})
        for i, url in enumerate(u for u in re.split(r"[\s,]+", urls) if u):
            channels[f"env{i + 1}"] = {"url": url}
        notify["channels"] = channels
        data["notify"] = notify
    return data


def _describe(exc: ValidationError) -> str:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"]) or "(top level)"
    msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{key}: {msg}{more}"


def _with_source_files(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Merge `sources_dir/*.yaml` into `sources`: each file declares one source (a mapping
    with `key`) or a list of them; what the config file says of the same key wins."""
    folder = resolve_path(data.get("sources_dir") or DEFAULT_SOURCES_DIR, base)
    if not folder.is_dir():
        if data.get("sources_dir"):  # a path written out: a typo must not pass
            raise ConfigError(f"sources_dir {folder}: not a directory")
        return data
    sources = dict(data.get("sources") or {})
    origin: dict[str, Path] = {}
    for file in sorted(f for f in folder.glob("*.y*ml") if f.is_file()):
        content = _parse_yaml(file)
        for entry in content if isinstance(content, list) else [content]:
            if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
                raise ConfigError(f"{file}: each source needs a `key` (and a `home`)")
            key = entry["key"]
            entry = _expand_env({k: v for k, v in entry.items() if k != "key"})
            if key in origin:
                raise ConfigError(f"{file}: source {key!r} is already declared in {origin[key]}")
            try:
                SourceSettings.model_validate(entry)
            except ValidationError as exc:
                raise ConfigError(f"{file}: {key}.{_describe(exc)}") from None
            origin[key] = file
            sources[key] = {**entry, "declared_in": str(file), **(sources.get(key) or {})}
    return {**data, "sources": sources}


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file to read: --config, then MONITOR_CONFIG, then ./monitor.yaml if present."""
    if explicit:
        return Path(explicit)
    if env := os.environ.get(ENV_CONFIG):
        return Path(env)
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.exists() else None


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Load and validate settings; raise ConfigError with a one-line message."""
    file = config_path(path)
    data: dict[str, Any] = {}
    if file is not None:
        if not file.exists():
            raise ConfigError(f"{file}: config file not found")
        data = _read_yaml(file)
    base = file.parent.absolute() if file is not None else Path.cwd()
    data = _with_source_files(_env_overrides(_expand_env(data)), base)
    try:
        settings = Settings.model_validate(data, context={CONFIG_DIR: base})
    except ValidationError as exc:
        where = f"{file}: " if file else ""
        raise ConfigError(f"{where}{_describe(exc)}") from None
    _check_inputs(settings, file)
    return settings
