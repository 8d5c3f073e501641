"""`outsourcebot serve`: every platform with a token, in one process, sharing one core.

A platform is a name, the variable holding its token, and a runner: a coroutine
`run(core, stop)` that starts the platform's client on the shared core, serves
until the `stop` event is set, then shuts down cleanly. When one platform fails
the others are stopped too and the error is reported, so a half-running bot
never hides a broken one. Imports nothing heavy until the command runs.

An exception's text can quote a token (a URL with the Telegram token in it, a
library echoing its credentials), so `cmd_serve` reports failures itself with
every configured secret replaced by `[REDACTED]`, and keeps a redacting filter
on the log handlers while it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.conversation.core import Core

log = logging.getLogger(__name__)

Runner = Callable[["Core", asyncio.Event], Awaitable[None]]


@dataclass(frozen=True)
class Platform:
    """A chat platform `serve` can run.

    Attributes:
        name: "discord", "telegram", ...
        token_var: The environment variable whose presence switches it on.
        prepare: Checks the platform's settings (raising ConfigError) and returns its runner.
    """

    name: str
    token_var: str
    prepare: Callable[[], Runner]


def _prepare_discord() -> Runner:
    from adapters.discord.config import load_discord_config

    config = load_discord_config()

    async def run(core: Core, stop: asyncio.Event) -> None:
        from adapters.discord.client import DiscordBot, run_bot

        bot = DiscordBot(core, config)
        task = asyncio.ensure_future(run_bot(bot))
        waiter = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            if not task.done():
                await bot.close()
        await task

    return run


def _prepare_telegram() -> Runner:
    from adapters.redaction import install_redaction
    from adapters.telegram.config import load_telegram_config

    config = load_telegram_config()
    install_redaction(config.secrets())

    async def run(core: Core, stop: asyncio.Event) -> None:
        from adapters.telegram.app import build_application, running

        async with running(build_application(core, config), config):
            await stop.wait()

    return run


PLATFORMS: tuple[Platform, ...] = (
    Platform("telegram", "TELEGRAM_BOT_TOKEN", _prepare_telegram),
    Platform("discord", "DISCORD_BOT_TOKEN", _prepare_discord),
)

SECRET_VARS = ("TELEGRAM_WEBHOOK_SECRET",)
"""Variables besides the platforms' tokens whose values must never be printed."""


def secrets_of(platforms: Sequence[Platform], environ: Mapping[str, str] | None = None) -> list[str]:
    """The values to hide in `serve`'s output: every platform's token and the other secret variables."""
    env = os.environ if environ is None else environ
    names = [p.token_var for p in platforms] + list(SECRET_VARS)
    return [value for value in (env.get(name, "").strip() for name in names) if value]


class PlatformFailed(RuntimeError):
    """A platform failed while serving; it was the first to fail, and the others were stopped.

    Attributes:
        platform: The platform that failed first.
        error: Its exception (also the `__cause__`).
        later: (platform, exception) of the ones that failed after it, often while stopping.
    """

    def __init__(self, platform: str, error: BaseException, later: list[tuple[str, BaseException]]) -> None:
        self.platform, self.error, self.later = platform, error, later
        text = f"{platform} failed first: {type(error).__name__}: {error}"
        for name, exc in later:
            text += f"\n  then {name} stopped with {type(exc).__name__}: {exc}"
        super().__init__(text)


def configured(platforms: Sequence[Platform] = PLATFORMS, environ: Mapping[str, str] | None = None) -> list[Platform]:
    """The platforms whose token variable is set."""
    env = os.environ if environ is None else environ
    return [p for p in platforms if env.get(p.token_var, "").strip()]


async def serve_platforms(core: Core, runners: Mapping[str, Runner], stop: asyncio.Event | None = None) -> None:
    """Run every platform on one core until `stop` is set or one of them fails.

    Args:
        core: The shared engine.
        runners: Platform name -> runner.
        stop: Set it to shut everything down (default: a new event set by SIGINT/SIGTERM).

    Raises:
        PlatformFailed: Naming the platform that failed first and its error (not merely the
            first in `runners`' order), after the others have stopped.
    """
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)

    failures: list[tuple[str, BaseException]] = []  # in the order they happened

    async def guarded(name: str, run: Runner) -> None:
        try:
            await run(core, stop)
        except BaseException as exc:
            failures.append((name, exc))
            if len(failures) == 1:
                log.error("%s stopped with an error; stopping the other platforms", name)
            stop.set()
            raise
        if not stop.is_set():
            log.warning("%s stopped by itself; stopping the other platforms", name)
            stop.set()

    await asyncio.gather(*(guarded(name, run) for name, run in runners.items()), return_exceptions=True)
    if failures:
        (name, first), later = failures[0], failures[1:]
        if isinstance(first, (KeyboardInterrupt, SystemExit)):
            raise first
        raise PlatformFailed(name, first, later) from first


def cmd_serve(args: argparse.Namespace) -> int:
    """Run every platform that has a token configured, in one process sharing one core.

    Telegram runs when TELEGRAM_BOT_TOKEN is set, Discord when DISCORD_BOT_TOKEN is set.

    Example: outsourcebot serve
    """
    from adapters.redaction import redact, redacting
    from bot.config import ConfigError, load_dotenv_file, load_settings

    load_dotenv_file()
    chosen = configured(PLATFORMS)
    if not chosen:
        names = " and/or ".join(p.token_var for p in PLATFORMS)
        raise ConfigError(f"no platform is configured; set {names} in .env (see docs/telegram.md and docs/discord.md)")
    secrets = secrets_of(PLATFORMS)
    with ExitStack() as hiding:
        hiding.enter_context(redacting(secrets))
        try:
            runners = {p.name: p.prepare() for p in chosen}  # check every platform's settings before loading the model

            from adapters.startup import start_core
            from bot.conversation.watch import run_with_background_jobs

            core = start_core(load_settings())
            print(f"Serving on {', '.join(runners)}. Press Ctrl+C to stop.", file=sys.stderr, flush=True)
            asyncio.run(run_with_background_jobs(core, serve_platforms(core, runners)))
        except ConfigError as exc:
            print(f"configuration error: {redact(str(exc), secrets)}", file=sys.stderr, flush=True)
            return 2
        except PlatformFailed as exc:
            log.debug("serve failed", exc_info=True)  # the filters above redact the traceback
            if isinstance(exc.error, ConfigError):  # a token the platform rejected, say
                print(f"configuration error: {redact(str(exc.error), secrets)}", file=sys.stderr, flush=True)
                return 2
            print(f"error: {redact(str(exc), secrets)}", file=sys.stderr, flush=True)
            return 1
        except Exception as exc:
            # Not left to the CLI's handler, which prints the exception's text as it is.
            log.debug("serve failed", exc_info=True)  # the filters above redact the traceback
            print(f"error: {type(exc).__name__}: {redact(str(exc), secrets)}", file=sys.stderr, flush=True)
            from adapters.startup import network_hint

            hint = network_hint(exc)
            if hint:
                print(hint, file=sys.stderr, flush=True)
            return 1
    print("Stopped.", file=sys.stderr, flush=True)
    return 0


def register(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the `serve` command to the CLI."""
    add(sub, "serve", cmd_serve)
