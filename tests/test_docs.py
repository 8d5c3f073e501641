"""Docs kept true: every list of commands or settings a reader sees matches what the code does.

In the spirit of sqlite-utils' `tests/test_docs.py`: each test reads the truth from the code
(the CLI parser, the source's environment reads, the commands each adapter registers) and the
claim from the document, and fails naming whatever is missing on either side. No list of
commands is copied into this file.
"""

from __future__ import annotations

import argparse
import ast
import importlib.metadata
import io
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.cli import build_parser
from bot.config import REPO_DIR
from bot.conversation.core import Core

README = REPO_DIR / "README.md"
ENV_EXAMPLE = REPO_DIR / ".env.example"
CHANGELOG = REPO_DIR / "CHANGELOG.md"
ABOUT_NOTE = REPO_DIR / "knowledge" / "about-this-bot.md"
SHIPPED_CODE = (REPO_DIR / "bot", REPO_DIR / "adapters")

OUR_PREFIXES = ("OUTSOURCEBOT_", "TELEGRAM_", "DISCORD_")
"""Variables with these prefixes are the project's own settings."""

SLASH_COMMAND = re.compile(r"(?<![\w/])/([a-z][a-z_]*)\b")
"""A chat command such as /topics, but not a path such as docs/telegram.md or and/or."""

PLATFORM_WORDS = {"telegram": "telegram", "discord": "discord", "console": "console", "terminal": "console"}


# ----- reading documents ------------------------------------------------------------------------


def section(markdown: str, heading: str) -> str:
    """The text under the first heading whose title contains `heading`, up to the next heading of its level."""
    lines = markdown.splitlines()
    for start, line in enumerate(lines):
        match = re.match(r"(#+)\s+(.*)", line)
        if match and heading.lower() in match.group(2).lower():
            level = len(match.group(1))
            body = []
            for following in lines[start + 1 :]:
                deeper = re.match(r"(#+)\s", following)
                if deeper and len(deeper.group(1)) <= level:
                    break
                body.append(following)
            return "\n".join(body)
    raise AssertionError(f"no heading containing {heading!r}")


def table_first_cells(text: str) -> list[str]:
    """The first cell of each body row of the Markdown tables in `text` (header and rule rows skipped)."""
    cells = []
    rows = [line for line in text.splitlines() if line.lstrip().startswith("|")]
    for row in rows:
        first = re.split(r"(?<!\\)\|", row.strip())[1].strip()
        if set(first) <= set("-: ") or first.lower() in ("command", "variable"):
            continue
        cells.append(first.replace("\\|", "|"))
    return cells


def code_spans(text: str) -> list[str]:
    """The contents of every `code span` in `text`."""
    return re.findall(r"`([^`]+)`", text)


def bullet(markdown: str, label: str) -> str:
    """The text of the list item that starts with the bold `label` (continuation lines included)."""
    match = re.search(rf"^- \*\*{re.escape(label)}\*\*(.*?)(?=^- |^\s*$)", markdown, re.M | re.S)
    assert match, f"no list item starting with **{label}**"
    return match.group(1)


# ----- the truth, read from the code ------------------------------------------------------------


def cli_commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every runnable command of the parser as a path of names, e.g. ("kb", "check")."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
                if nested:
                    yield from cli_commands(sub, (*prefix, name))
                else:
                    yield (*prefix, name)


def cli_parser_for(path: tuple[str, ...]) -> argparse.ArgumentParser:
    parser = build_parser()
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return parser


def telegram_commands(core: Core) -> tuple[set[str], set[str], set[str]]:
    """What the Telegram adapter really registers: command handlers, public menu, admin-only menu entries."""
    from telegram.ext import CommandHandler

    from adapters.telegram.app import build_application
    from adapters.telegram.config import load_telegram_config
    from adapters.telegram.handlers import ADMIN_COMMANDS, PUBLIC_COMMANDS

    config = load_telegram_config({"TELEGRAM_BOT_TOKEN": "123456:" + "A" * 35})
    app = build_application(core, config)
    handled = {
        command
        for handlers in app.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }
    return handled, {c.command for c in PUBLIC_COMMANDS}, {c.command for c in ADMIN_COMMANDS}


def discord_commands(core: Core) -> tuple[set[str], set[str]]:
    """What the Discord adapter really registers on its command tree: every command, and the admin-gated ones."""
    from adapters.discord.client import DiscordBot
    from adapters.discord.config import load_discord_config

    config = load_discord_config({"DISCORD_BOT_TOKEN": "MTA" + "x" * 23 + ".Gabcde." + "y" * 38})
    bot = DiscordBot(core, config)
    commands = bot.tree.get_commands()
    gated = {c.name for c in commands if c.default_permissions is not None and c.default_permissions.manage_guild}
    return {c.name for c in commands}, gated


def console_understands(core: Core, command: str) -> bool:
    """True when the console handles `command` itself instead of calling it unknown."""
    from adapters.console import run_console

    lines = iter([command])

    def read(prompt: str) -> str:
        return next(lines)  # StopIteration ends the chat after the command, like end of input

    out = io.StringIO()
    try:
        run_console(core, read=read, out=out)
    except StopIteration:
        pass
    return "Unknown command" not in out.getvalue()


@pytest.fixture
def platform_commands(core: Core) -> dict[str, set[str]]:
    """The commands each chat platform registers, read from the adapters."""
    telegram, _, _ = telegram_commands(core)
    discord, _ = discord_commands(core)
    return {"telegram": telegram, "discord": discord}


# ----- README: the command line -----------------------------------------------------------------


def documented_cli() -> dict[tuple[str, ...], str]:
    """Each command path named in the README's command table, with the text of its row."""
    documented: dict[tuple[str, ...], str] = {}
    for cell in table_first_cells(section(README.read_text(encoding="utf-8"), "Command line")):
        for span in code_spans(cell):
            words = span.split()
            if words[0] == "outsourcebot":
                words = words[1:]
            path = (words[0], words[1]) if words[0] == "kb" and len(words) > 1 else (words[0],)
            documented[path] = span
    return documented


def test_readme_command_table_matches_the_cli_parser() -> None:
    commands = set(cli_commands(build_parser()))
    documented = set(documented_cli())
    assert commands, "the parser has no commands"
    assert not commands - documented, f"CLI commands missing from the README table: {sorted(commands - documented)}"
    assert not documented - commands, f"README table names commands the CLI lacks: {sorted(documented - commands)}"


def test_readme_command_table_options_exist() -> None:
    for path, span in documented_cli().items():
        parser = cli_parser_for(path)
        known = {opt for action in parser._actions for opt in action.option_strings}
        for option in re.findall(r"(?<!\w)--[a-z][a-z-]*", span):
            assert option in known, f"README: `outsourcebot {' '.join(path)}` has no option {option}"


@pytest.mark.parametrize("path", sorted(cli_commands(build_parser())), ids=" ".join)
def test_every_cli_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    parser = cli_parser_for(path)
    assert parser.description, f"`outsourcebot {' '.join(path)}` has no help summary"
    example = (parser.epilog or "").partition("Example:")[2]
    assert "outsourcebot " + " ".join(path) in example, (
        f"`outsourcebot {' '.join(path)} --help` shows no example of itself"
    )


# ----- .env.example -----------------------------------------------------------------------------


def environment_reads() -> tuple[set[str], set[str]]:
    """Scan the shipped source for environment variables.

    Returns:
        The project's own variables (every string literal that is exactly a prefixed name,
        which catches reads through helpers and constants too), and other variables read
        directly with `os.environ.get`, `os.getenv`, `os.environ[...]` or `in os.environ`.
    """
    ours: set[str] = set()
    others: set[str] = set()
    name = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")

    def is_environ(node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "environ"

    def literal(node: ast.AST | None) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and name.fullmatch(node.value):
            return node.value
        return None

    for folder in SHIPPED_CODE:
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                value = literal(node)
                if value and value.startswith(OUR_PREFIXES):
                    ours.add(value)
                read: str | None = None
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
                    is_get = node.func.attr == "get" and is_environ(node.func.value)
                    is_getenv = node.func.attr == "getenv"
                    if is_get or is_getenv:
                        read = literal(node.args[0])
                elif isinstance(node, ast.Subscript) and is_environ(node.value) and isinstance(node.ctx, ast.Load):
                    read = literal(node.slice)
                elif isinstance(node, ast.Compare) and any(is_environ(c) for c in node.comparators):
                    read = literal(node.left)
                if read and not read.startswith(OUR_PREFIXES):
                    others.add(read)
    return ours, others


def env_example_keys() -> set[str]:
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(encoding="utf-8"), re.M))


def test_env_example_lists_exactly_the_variables_the_code_reads() -> None:
    ours, _ = environment_reads()
    listed = {key for key in env_example_keys() if key.startswith(OUR_PREFIXES)}
    assert {"OUTSOURCEBOT_DATA_DIR", "TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN"} <= ours, "the source scan found nothing"
    assert not ours - listed, f"read by the code but missing from .env.example: {sorted(ours - listed)}"
    assert not listed - ours, f"in .env.example but read nowhere: {sorted(listed - ours)}"


def test_env_example_mentions_the_other_variables_the_code_reads() -> None:
    """Variables of other software (such as XDG_DATA_HOME) need no key of their own, but a mention."""
    _, others = environment_reads()
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    unmentioned = {name for name in others if not re.search(rf"\b{name}\b", text)}
    assert not unmentioned, f".env.example never mentions {sorted(unmentioned)}, which the code reads"


def test_env_example_keys_are_each_explained() -> None:
    """Every key has a comment line right above it or above the run of keys it belongs to."""
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if not re.match(r"[A-Z][A-Z0-9_]*=", line):
            continue
        above = number - 1
        while above >= 0 and re.match(r"[A-Z][A-Z0-9_]*=", lines[above]):
            above -= 1
        assert above >= 0 and lines[above].startswith("# ") and not lines[above].startswith("# ---"), (
            f".env.example:{number + 1}: {line.split('=')[0]} has no comment explaining it"
        )


# ----- docs/telegram.md and docs/discord.md -----------------------------------------------------


def documented_chat_commands(doc: Path) -> dict[str, str]:
    """Each /command in the doc's Commands table, with its "Who" cell."""
    text = section(doc.read_text(encoding="utf-8"), "Commands")
    documented = {}
    for row in (line for line in text.splitlines() if line.startswith("|")):
        cells = [c.strip() for c in row.strip("|").split("|")]
        for command in SLASH_COMMAND.findall(cells[0]):
            documented[command] = cells[1] if len(cells) > 1 else ""
    return documented


def test_telegram_doc_lists_exactly_the_registered_commands(core: Core) -> None:
    handled, public, admin = telegram_commands(core)
    documented = documented_chat_commands(REPO_DIR / "docs" / "telegram.md")
    assert handled, "no command handlers found"
    assert set(documented) == handled, (
        f"docs/telegram.md lacks {sorted(handled - set(documented))}, names unregistered {sorted(set(documented) - handled)}"
    )
    assert public | admin == handled, "the published command menu differs from the handlers"
    assert {c for c, who in documented.items() if "admin" in who.lower()} == admin


def test_discord_doc_lists_exactly_the_registered_commands(core: Core) -> None:
    registered, gated = discord_commands(core)
    documented = documented_chat_commands(REPO_DIR / "docs" / "discord.md")
    assert registered, "no slash commands found on the tree"
    assert set(documented) == registered, (
        f"docs/discord.md lacks {sorted(registered - set(documented))}, names unregistered {sorted(set(documented) - registered)}"
    )
    assert {c for c, who in documented.items() if "admin" in who.lower()} == gated


def test_readme_platform_bullets_list_exactly_the_registered_commands(platform_commands: dict[str, set[str]]) -> None:
    readme = section(README.read_text(encoding="utf-8"), "Running on Telegram and Discord")
    for platform, label in (("telegram", "Telegram"), ("discord", "Discord")):
        named = set(SLASH_COMMAND.findall(bullet(readme, label)))
        assert named == platform_commands[platform], (
            f"README's {label} line: missing {sorted(platform_commands[platform] - named)}, "
            f"not registered {sorted(named - platform_commands[platform])}"
        )


# ----- what the bot itself tells users ----------------------------------------------------------


def test_each_adapters_help_line_names_only_its_own_commands(
    core: Core, platform_commands: dict[str, set[str]]
) -> None:
    from adapters.console import COMMANDS as CONSOLE_TEXT
    from adapters.discord.slash import COMMANDS_TEXT as DISCORD_TEXT
    from adapters.telegram.handlers import COMMANDS_TEXT as TELEGRAM_TEXT

    for platform, text in (("telegram", TELEGRAM_TEXT), ("discord", DISCORD_TEXT)):
        named = set(SLASH_COMMAND.findall(text))
        assert named, f"the {platform} help line names no command"
        assert named <= platform_commands[platform], (
            f"{platform} help names {sorted(named - platform_commands[platform])}"
        )
    for command in SLASH_COMMAND.findall(CONSOLE_TEXT):
        assert console_understands(core, f"/{command}"), f"the console help names /{command}, which it does not know"


def test_readme_console_example_uses_only_console_commands(core: Core) -> None:
    example = section(README.read_text(encoding="utf-8"), "Quick start")
    commands = {c for line in example.splitlines() if line.startswith("you>") for c in SLASH_COMMAND.findall(line)}
    assert commands, "the README's console example shows no command"
    for command in sorted(commands):
        assert console_understands(core, f"/{command}"), f"README shows /{command} on the console, which it lacks"


def commands_by_platform(text: str) -> Iterator[tuple[str, frozenset[str], int]]:
    """Each /command in `text` with the platforms it is said to be on, and its line number.

    A command belongs to the platforms named last before it in its paragraph or list item
    ("on Telegram and Discord: /start" names both); with none named, to every chat platform.
    """
    everywhere = frozenset({"telegram", "discord"})
    joined = re.compile(r"\s*(,|and|or|&|/|, and|, or)\s*(the\s+)?", re.I)
    for number, block in enumerate(text.splitlines(), 1):
        current, platform_ended = everywhere, -1  # where the last platform name ended, -1 after a command
        for token in re.finditer(rf"{SLASH_COMMAND.pattern}|\b({'|'.join(PLATFORM_WORDS)})\b", block, re.I):
            if token.group(1):
                yield token.group(1), current, number
                platform_ended = -1
            else:
                platform = PLATFORM_WORDS[token.group(2).lower()]
                listed = platform_ended >= 0 and joined.fullmatch(block[platform_ended : token.start()])
                current = current | {platform} if listed else frozenset({platform})
                platform_ended = token.end()


def test_commands_by_platform_reads_who_has_what() -> None:
    text = (
        "On Telegram and Discord: /topics. On Discord, /about.\n/forget deletes. Console: /quit\n"
        "On Telegram, Discord or the console press a button; in the console type /good"
    )
    assert list(commands_by_platform(text)) == [
        ("topics", frozenset({"telegram", "discord"}), 1),
        ("about", frozenset({"discord"}), 1),
        ("forget", frozenset({"telegram", "discord"}), 2),
        ("quit", frozenset({"console"}), 2),
        ("good", frozenset({"console"}), 3),
    ]


def test_about_note_names_only_commands_each_platform_has(core: Core, platform_commands: dict[str, set[str]]) -> None:
    front, body = ABOUT_NOTE.read_text(encoding="utf-8").split("\n---\n", 1)
    offset = front.count("\n") + 2
    wrong = []
    for command, platforms, line in commands_by_platform(body):
        line += offset
        for platform in sorted(platforms):
            exists = (
                console_understands(core, f"/{command}")
                if platform == "console"
                else command in platform_commands[platform]
            )
            if not exists:
                wrong.append(f"knowledge/about-this-bot.md:{line}: /{command} is not a {platform} command")
    assert not wrong, "\n".join(wrong)


# ----- paths named in the docs -------------------------------------------------------------------


DOCS = (README, REPO_DIR / "CONTRIBUTING.md", *sorted((REPO_DIR / "docs").glob("*.md")))
TOP_FOLDERS = ("bot/", "adapters/", "tests/", "docs/", "knowledge/", "scripts/", ".ci/")


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_repository_path_the_docs_name_exists(doc: Path) -> None:
    """A `path` in backticks under one of the repository's folders names a file or folder that exists."""
    missing = []
    for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
        for span in code_spans(line):
            path = span.split()[0] if span.split() else ""
            placeholder = any(mark in path for mark in ("<", "...", "*", "drafts"))
            if path.startswith(TOP_FOLDERS) and not placeholder and not (REPO_DIR / path).exists():
                missing.append(f"{doc.relative_to(REPO_DIR)}:{number}: {path}")
    assert not missing, "paths that do not exist:\n" + "\n".join(missing)


# ----- version and changelog ----------------------------------------------------------------------


def test_the_version_has_one_source() -> None:
    import bot

    pyproject = tomllib.loads((REPO_DIR / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "bot.__version__"}
    assert importlib.metadata.version("outsourcebot") == bot.__version__, "reinstall: `make install`"


def test_changelog_newest_release_is_the_version() -> None:
    import bot

    releases = re.findall(r"^## \[([^\]]+)\]", CHANGELOG.read_text(encoding="utf-8"), re.M)
    assert releases[0] == "Unreleased", "CHANGELOG.md starts with an Unreleased section"
    assert releases[1] == bot.__version__, f"the newest release in CHANGELOG.md is {releases[1]}, not {bot.__version__}"
