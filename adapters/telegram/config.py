"""Telegram settings from the environment (and `.env`), checked at start-up."""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from bot.config import ConfigError, load_dotenv_file

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org/bot"
BOTFATHER_HINT = (
    "open Telegram, talk to @BotFather (https://t.me/BotFather), send /newbot (or /token for an "
    "existing bot) and put the token it gives you in .env as TELEGRAM_BOT_TOKEN=123456:ABC..."
)
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@dataclass(frozen=True)
class TelegramConfig:
    """Everything the Telegram adapter needs besides the core.

    Attributes:
        token: The bot token from @BotFather.
        api_url: Bot API base URL the token is appended to (`.../bot`), for self-hosted API servers.
        admin_ids: Telegram user ids allowed to use /reload and /stats.
        webhook_url: Public HTTPS URL Telegram posts updates to; empty means long polling.
        webhook_listen: Address the local webhook server binds to.
        webhook_port: Port the local webhook server binds to.
        webhook_secret: Secret Telegram sends in `X-Telegram-Bot-Api-Secret-Token`.
    """

    token: str
    api_url: str = DEFAULT_API_URL
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str = ""

    @property
    def file_url(self) -> str:
        """The file download base URL that matches `api_url`."""
        if self.api_url.endswith("/bot"):
            return self.api_url[: -len("bot")] + "file/bot"
        return self.api_url.replace("/bot", "/file/bot", 1)

    @property
    def webhook_path(self) -> str:
        """The local path the webhook server listens on: the path of `webhook_url`."""
        return urlparse(self.webhook_url).path.strip("/")

    @property
    def mode(self) -> str:
        """ "webhook" when a webhook URL is set, else "polling"."""
        return "webhook" if self.webhook_url else "polling"

    def secrets(self) -> list[str]:
        """Strings that must never appear in logs."""
        return [s for s in (self.token, self.webhook_secret) if s]

    def is_admin(self, user_id: int | None) -> bool:
        """True when `user_id` may use the admin commands."""
        return user_id is not None and user_id in self.admin_ids


def _api_url(raw: str) -> str:
    url = raw.strip().rstrip("/")
    if not url:
        return DEFAULT_API_URL
    if not url.startswith(("http://", "https://")):
        raise ConfigError(
            f"TELEGRAM_API_URL={raw!r} must start with http:// or https://, like http://localhost:8081/bot"
        )
    if "{token}" in url or url.endswith("/bot"):
        return url
    return url + "/bot"


def _admin_ids(raw: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            ids.add(int(part))
        except ValueError:
            raise ConfigError(
                f"TELEGRAM_ADMIN_IDS contains {part!r}, which is not a numeric user id; "
                "list ids separated by commas, like TELEGRAM_ADMIN_IDS=12345678,87654321 "
                "(message @userinfobot to learn yours)"
            ) from None
    return frozenset(ids)


WEBHOOK_PORTS = (443, 80, 88, 8443)
"""The only ports Telegram posts webhook updates to."""


def _check_webhook_url(url: str) -> None:
    """Refuse a webhook URL Telegram cannot post to (no host, or a port it does not allow)."""
    parts = urlparse(url)
    try:
        port = parts.port or 443
    except ValueError:
        port = -1
    if not parts.hostname:
        raise ConfigError(f"TELEGRAM_WEBHOOK_URL={url!r} has no host; set it like https://bot.example.com/telegram")
    if port not in WEBHOOK_PORTS:
        raise ConfigError(
            f"TELEGRAM_WEBHOOK_URL={url!r} uses port {parts.port if port != -1 else parts.netloc.rsplit(':', 1)[-1]}, "
            "but Telegram only posts to ports 443, 80, 88 or 8443; put your HTTPS proxy on one of them and use it "
            "in the URL (TELEGRAM_WEBHOOK_PORT is the bot's own local port behind the proxy and may be any)"
        )


def load_telegram_config(env: Mapping[str, str] | None = None) -> TelegramConfig:
    """Read and check the Telegram settings.

    Args:
        env: Variables to read (default: the environment, after loading `.env`).

    Returns:
        The checked settings.

    Raises:
        ConfigError: When the token is missing or malformed, or another value is wrong;
            the message says how to fix it.
    """
    if env is None:
        load_dotenv_file()
        env = os.environ
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        raise ConfigError(f"TELEGRAM_BOT_TOKEN is not set. To get one, {BOTFATHER_HINT}")
    if not _TOKEN.match(token):
        raise ConfigError(
            f"TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then letters). To get one, {BOTFATHER_HINT}"
        )
    webhook_url = env.get("TELEGRAM_WEBHOOK_URL", "").strip()
    if webhook_url and not webhook_url.startswith("https://"):
        raise ConfigError(
            f"TELEGRAM_WEBHOOK_URL={webhook_url!r} must be an https:// URL (Telegram only posts to HTTPS)"
        )
    if webhook_url:
        _check_webhook_url(webhook_url)
    port_raw = env.get("TELEGRAM_WEBHOOK_PORT", "").strip() or "8443"
    try:
        port = int(port_raw)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise ConfigError(
            f"TELEGRAM_WEBHOOK_PORT={port_raw!r} is not a port number; set it like TELEGRAM_WEBHOOK_PORT=8443"
        )
    secret = env.get("TELEGRAM_WEBHOOK_SECRET", "").strip()
    if secret and not _SECRET.match(secret):
        raise ConfigError("TELEGRAM_WEBHOOK_SECRET may only use A-Z, a-z, 0-9, _ and - (1 to 256 characters)")
    if webhook_url and not secret:
        # Without a secret anyone who learns the URL could post fake updates; a random one per run is safe
        # because the bot registers it with Telegram itself at start-up.
        secret = secrets.token_urlsafe(32)
        log.info("TELEGRAM_WEBHOOK_SECRET is not set; using a random secret for this run")
    return TelegramConfig(
        token=token,
        api_url=_api_url(env.get("TELEGRAM_API_URL", "")),
        admin_ids=_admin_ids(env.get("TELEGRAM_ADMIN_IDS", "")),
        webhook_url=webhook_url,
        webhook_listen=env.get("TELEGRAM_WEBHOOK_LISTEN", "").strip() or "127.0.0.1",
        webhook_port=port,
        webhook_secret=secret,
    )
