"""Discord settings from the environment, checked before the bot starts (adapters/discord/config.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from adapters.discord.config import load_discord_config
from bot.config import ConfigError


def test_a_missing_token_stops_start_up_with_a_clear_message() -> None:
    with pytest.raises(ConfigError, match="DISCORD_BOT_TOKEN is not set"):
        load_discord_config({})
    with pytest.raises(ConfigError, match="does not look like a Discord bot token"):
        load_discord_config({"DISCORD_BOT_TOKEN": "abc"})  # fails before the model is loaded
    shaped = "MTIzNDU2Nzg5MDEy.GaBcDe.abcdefghijklmnopqrstuvwxyz0123"
    with pytest.raises(ConfigError, match="not a Discord id"):
        load_discord_config({"DISCORD_BOT_TOKEN": shaped, "DISCORD_ADMIN_IDS": "alice"})
    config = load_discord_config(
        {
            "DISCORD_BOT_TOKEN": f" {shaped} ",
            "DISCORD_ADMIN_IDS": "1, 2",
            "DISCORD_GUILD_IDS": "3",
            "DISCORD_MESSAGE_CONTENT": "0",
            "DISCORD_ADMIN_ROLE_IDS": "4,5",
        }
    )
    assert (
        config.token == shaped
        and config.admin_ids == {1, 2}
        and config.guild_ids == (3,)
        and not config.message_content
    )
    assert config.admin_role_ids == {4, 5}
    with pytest.raises(ConfigError, match="DISCORD_ADMIN_ROLE_IDS has 'Mods'"):
        load_discord_config({"DISCORD_BOT_TOKEN": shaped, "DISCORD_ADMIN_ROLE_IDS": "Mods"})
    assert load_discord_config({"DISCORD_BOT_TOKEN": shaped, "DISCORD_ADMIN_ROLE": "Mods"}).admin_role_ids == set()
    assert "s3cret" not in repr(replace(config, token="s3cret"))
