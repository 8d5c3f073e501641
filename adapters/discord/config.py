"""Discord settings from the environment (and `.env`), checked before the bot starts."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.config import ConfigError, load_dotenv_file

log = logging.getLogger(__name__)

TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{10,}$")
TOKEN_VAR = "DISCORD_BOT_TOKEN"


@dataclass(frozen=True)
class DiscordConfig:
    """Everything the Discord adapter needs besides the core.

    Attributes:
        token: The bot token from the developer portal (Bot > Reset Token).
        api_url: Base URL of the REST API (a rate-limit proxy); None for Discord's own.
        admin_ids: User ids allowed to run /reload and /stats.
        admin_role_ids: Server roles, by id, whose members may run them too (a role id belongs to one
            server; a role's name proves nothing, since anyone who may manage roles can copy it).
        guild_ids: Servers to sync slash commands to at start-up (development); empty syncs globally.
        message_content: Request the privileged message content intent.
    """

    token: str
    api_url: str | None = None
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    admin_role_ids: frozenset[int] = field(default_factory=frozenset)
    guild_ids: tuple[int, ...] = ()
    message_content: bool = True

    def __repr__(self) -> str:
        # Keep the token out of tracebacks and debug prints.
        return (
            f"DiscordConfig(token='***', api_url={self.api_url!r}, admin_ids={sorted(self.admin_ids)!r}, "
            f"admin_role_ids={sorted(self.admin_role_ids)!r}, guild_ids={self.guild_ids!r}, "
            f"message_content={self.message_content!r})"
        )


def discord_configured(environ: Mapping[str, str] | None = None) -> bool:
    """Return True when a Discord token is set (after reading `.env`)."""
    if environ is None:
        load_dotenv_file()
        environ = os.environ
    return bool(environ.get(TOKEN_VAR, "").strip())


def _ids(environ: Mapping[str, str], name: str) -> list[int]:
    raw = environ.get(name, "")
    ids = []
    for part in raw.replace(";", ",").replace(" ", ",").split(","):
        if not part:
            continue
        if not part.isdigit():
            raise ConfigError(
                f"{name} has {part!r}, which is not a Discord id; use numbers separated by commas, like {name}=123456789012345678"
            )
        ids.append(int(part))
    return ids


def load_discord_config(environ: Mapping[str, str] | None = None) -> DiscordConfig:
    """Build the Discord settings, failing with a message that says how to fix them.

    Args:
        environ: Variables to read (default: the process environment after loading `.env`).

    Returns:
        The checked settings.

    Raises:
        ConfigError: When the token is missing or a value is malformed.
    """
    if environ is None:
        load_dotenv_file()
        environ = os.environ
    token = environ.get(TOKEN_VAR, "").strip()
    if not token:
        raise ConfigError(
            f"{TOKEN_VAR} is not set; create a bot at https://discord.com/developers/applications, "
            f"copy its token (Bot > Reset Token) and put {TOKEN_VAR}=... in .env (see docs/discord.md)"
        )
    if token.lower().startswith("bot "):
        raise ConfigError(f"{TOKEN_VAR} should be the bare token, without the 'Bot ' prefix")
    if not TOKEN_SHAPE.match(token):
        raise ConfigError(
            f"{TOKEN_VAR} does not look like a Discord bot token (three dot-separated parts); copy it again "
            "from the developer portal (your application > Bot > Reset Token) into .env"
        )
    api_url = environ.get("DISCORD_API_URL", "").strip().rstrip("/") or None
    if api_url and not api_url.startswith(("http://", "https://")):
        raise ConfigError(f"DISCORD_API_URL={api_url!r} is not a URL; use one like https://discord.com/api/v10")
    flag = environ.get("DISCORD_MESSAGE_CONTENT", "1").strip().lower()
    if flag not in ("1", "0", "true", "false", "yes", "no", "on", "off", ""):
        raise ConfigError(f"DISCORD_MESSAGE_CONTENT={flag!r} is not a yes/no value; use 1 or 0")
    return DiscordConfig(
        token=token,
        api_url=api_url,
        admin_ids=frozenset(_ids(environ, "DISCORD_ADMIN_IDS")),
        admin_role_ids=frozenset(_ids(environ, "DISCORD_ADMIN_ROLE_IDS")),
        guild_ids=tuple(_ids(environ, "DISCORD_GUILD_IDS")),
        message_content=flag in ("1", "true", "yes", "on", ""),
    )
