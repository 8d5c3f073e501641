"""A fake Discord for end-to-end tests: the REST API and the gateway on 127.0.0.1.

The real discord.py client talks to it through its own HTTP and websocket
stack (`discord.http.Route.BASE` points here; the gateway URL comes from
`GET /gateway/bot`). It speaks the real protocol: HELLO, heartbeats and their
ACKs, IDENTIFY with shard ids, READY then GUILD_CREATE, dispatches with
sequence numbers, RESUME with replay of missed events, and zlib-stream
compression when the client asks for it. It rejects what Discord rejects
(content over 2,000 characters, embeds over their limits, more than 5 rows of
buttons...) with HTTP 400 and code 50035, and can answer 429 with a
`retry_after` like Discord's rate limiter. Starting, stopping, the record of
requests and `wait_for` come from `tests.adapters.fake_server.FakeServer`.
"""

from __future__ import annotations

import itertools
import json
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.adapters.fake_server import FakeServer, Middleware

API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1420070400000
HEARTBEAT_MS = 41250

TOKEN = "ODk0fake.TOKEN-for-tests.aVeryS3cretValue"
APP_ID = 900000000000000001
BOT_ID = APP_ID
GUILD_ID = 910000000000000001
ADMIN_ROLE_ID = 930000000000000001
"""The "Outsource Admins" role of the first server (GUILD_ID); see `admin_role_for`."""
ADMIN_ROLE_NAME = "Outsource Admins"


def admin_role_for(guild_id: int) -> int:
    """The id of a server's "Outsource Admins" role (every server in the fake has one, like any server could)."""
    return ADMIN_ROLE_ID if guild_id == GUILD_ID else guild_id + 2 * 10**16


def same_name_role_for(guild_id: int) -> int:
    """The id of a second role named "Outsource Admins" in a server (anyone who may manage roles can make one)."""
    return guild_id + 4 * 10**16


def bot_role_for(guild_id: int) -> int:
    """The id of the bot's managed role in a server (Discord creates it when the bot joins)."""
    return guild_id + 3 * 10**16


def snowflake(counter: itertools.count[int] = itertools.count(1)) -> str:  # noqa: B008 - one process-wide counter
    """A fresh, increasing Discord id."""
    return str(((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(counter) & 0x3FFFFF))


def iso_now() -> str:
    """A timestamp in Discord's format."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00", time.gmtime())


def user_payload(user_id: int | str, name: str, bot: bool = False) -> dict[str, Any]:
    """A user object."""
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
        "flags": 0,
    }


def member_payload(roles: list[int] | None = None, user: dict[str, Any] | None = None) -> dict[str, Any]:
    """A guild member object (with its user when given)."""
    member: dict[str, Any] = {
        "roles": [str(r) for r in roles or []],
        "nick": None,
        "avatar": None,
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if user is not None:
        member["user"] = user
    return member


def role_payload(role_id: int, name: str, position: int, bot_id: int | None = None) -> dict[str, Any]:
    """A role object; with `bot_id`, the managed role of that bot."""
    role: dict[str, Any] = {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": "1071698660929",
        "managed": bot_id is not None,
        "mentionable": False,
        "flags": 0,
    }
    if bot_id is not None:
        role["tags"] = {"bot_id": str(bot_id)}
    return role


def channel_payload(channel_id: int, guild_id: int, name: str = "general") -> dict[str, Any]:
    """A guild text channel object."""
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


def guild_payload(guild_id: int, channel_id: int, bot_user: dict[str, Any]) -> dict[str, Any]:
    """A GUILD_CREATE payload: one text channel, @everyone, two roles named "Outsource Admins", the bot's managed role."""
    return {
        "id": str(guild_id),
        "name": f"Test server {guild_id}",
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": "1",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [
            role_payload(guild_id, "@everyone", 0),
            role_payload(admin_role_for(guild_id), ADMIN_ROLE_NAME, 1),
            role_payload(same_name_role_for(guild_id), ADMIN_ROLE_NAME, 1),
            role_payload(bot_role_for(guild_id), bot_user["username"], 2, bot_id=int(bot_user["id"])),
        ],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": None,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "large": False,
        "unavailable": False,
        "member_count": 3,
        "voice_states": [],
        "members": [member_payload([bot_role_for(guild_id)], user=bot_user)],
        "channels": [channel_payload(channel_id, guild_id)],
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


# ----- what Discord rejects ---------------------------------------------------------------------


def message_errors(payload: dict[str, Any]) -> dict[str, str]:
    """Check a message payload against Discord's limits; return field path -> problem (empty when valid)."""
    errors: dict[str, str] = {}
    content = payload.get("content") or ""
    if len(content) > 2000:
        errors["content"] = "Must be 2000 or fewer in length."
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        errors["embeds"] = "Must be 10 or fewer in length."
    total = 0
    for i, embed in enumerate(embeds):
        limits = {"title": 256, "description": 4096}
        for key, limit in limits.items():
            value = embed.get(key) or ""
            total += len(value)
            if len(value) > limit:
                errors[f"embeds.{i}.{key}"] = f"Must be {limit} or fewer in length."
        fields = embed.get("fields") or []
        if len(fields) > 25:
            errors[f"embeds.{i}.fields"] = "Must be 25 or fewer in length."
        for j, fld in enumerate(fields):
            name, value = fld.get("name") or "", fld.get("value") or ""
            if not name or not value:
                errors[f"embeds.{i}.fields.{j}"] = "This field is required"
            if len(name) > 256:
                errors[f"embeds.{i}.fields.{j}.name"] = "Must be 256 or fewer in length."
            if len(value) > 1024:
                errors[f"embeds.{i}.fields.{j}.value"] = "Must be 1024 or fewer in length."
            total += len(name) + len(value)
        footer = (embed.get("footer") or {}).get("text") or ""
        if len(footer) > 2048:
            errors[f"embeds.{i}.footer.text"] = "Must be 2048 or fewer in length."
        author = (embed.get("author") or {}).get("name") or ""
        total += len(footer) + len(author)
    if total > 6000:
        errors["embeds"] = "Embed size exceeds maximum size of 6000"
    rows = payload.get("components") or []
    if len(rows) > 5:
        errors["components"] = "Must be 5 or fewer in length."
    seen: set[str] = set()
    for r, row in enumerate(rows):
        buttons = row.get("components") or []
        if row.get("type") != 1 or not 1 <= len(buttons) <= 5:
            errors[f"components.{r}"] = "An action row holds 1 to 5 buttons."
        for b, button in enumerate(buttons):
            custom_id = button.get("custom_id") or ""
            if len(custom_id) > 100 or len(button.get("label") or "") > 80:
                errors[f"components.{r}.components.{b}"] = "Must be 100 or fewer in length."
            if custom_id in seen:
                errors[f"components.{r}.components.{b}.custom_id"] = "Component custom id cannot be duplicated"
            seen.add(custom_id)
    if not content and not embeds and not payload.get("components"):
        errors["content"] = "Cannot send an empty message"
    return errors


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer with Discord's exact content type (discord.py compares it verbatim)."""
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={**(headers or {}), "Content-Type": "application/json"}
    )


def invalid_form_body(errors: dict[str, str]) -> web.Response:
    """Discord's 400 answer for a rejected payload."""
    return json_response({"code": 50035, "message": "Invalid Form Body", "errors": errors}, status=400)


# ----- records ------------------------------------------------------------------------------------


@dataclass
class Sent:
    """One message the bot sent, however it went (channel post, interaction callback, follow-up)."""

    route: str
    payload: dict[str, Any]
    channel_id: str | None = None
    interaction_id: str | None = None
    callback_type: int | None = None
    replaced_defer: bool = False
    """A follow-up that took the place of a deferred "thinking..." message, keeping that message's visibility."""

    @property
    def ephemeral(self) -> bool:
        """True when the message has the ephemeral flag (64)."""
        return bool((self.payload.get("flags") or 0) & 64)

    @property
    def custom_ids(self) -> list[str]:
        """Every button custom id on the message, row by row."""
        return [
            b.get("custom_id", "") for row in self.payload.get("components") or [] for b in row.get("components") or []
        ]

    @property
    def text(self) -> str:
        """Content plus every embed's visible text, for assertions."""
        parts = [self.payload.get("content") or ""]
        for embed in self.payload.get("embeds") or []:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            parts += [f"{f.get('name')}\n{f.get('value')}" for f in embed.get("fields") or []]
            parts.append((embed.get("footer") or {}).get("text") or "")
        return "\n".join(p for p in parts if p)


@dataclass
class Session:
    """A gateway session: survives a dropped connection and can be resumed."""

    session_id: str
    shard: tuple[int, int]
    intents: int
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    socket: web.WebSocketResponse | None = None
    compressor: Any = None


@dataclass
class RateLimit:
    """Answer the next `times` requests matching `method` and `path` with 429."""

    method: str
    path: re.Pattern[str]
    times: int
    retry_after: float


class FakeDiscord(FakeServer):
    """The fake servers. Use `async with FakeDiscord() as fake:`; `fake.api_url` is the REST base.

    Args:
        shards: Shard count `/gateway/bot` recommends.
        guild_ids: Servers the bot is in (one text channel each; channel id = guild id + 10**16).
    """

    wait_timeout = 5.0

    def __init__(self, shards: int = 1, guild_ids: tuple[int, ...] = (GUILD_ID,)) -> None:
        super().__init__()
        self.shards = shards
        self.guild_ids = guild_ids
        self.bot_user = user_payload(BOT_ID, "outsourcebot", bot=True)
        self.sent: list[Sent] = []
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.heartbeats = 0
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.sessions: dict[int, Session] = {}
        self.rate_limits: list[RateLimit] = []
        self.rejected: list[tuple[str, dict[str, str]]] = []
        self.query_strings: list[dict[str, str]] = []
        self.sent_defers: list[str] = []
        self.deleted_originals: list[str] = []
        self._interactions: dict[str, dict[str, Any]] = {}

    # ----- lifecycle ---------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """The gateway and the REST routes the bot uses."""
        p = API_PREFIX
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get(f"{p}/users/@me", self._me)
        app.router.add_get(f"{p}/oauth2/applications/@me", self._application)
        app.router.add_get(f"{p}/applications/@me", self._application)
        app.router.add_get(f"{p}/gateway/bot", self._gateway_bot)
        app.router.add_get(f"{p}/gateway", self._gateway_bot)
        app.router.add_put(f"{p}/applications/{{app}}/commands", self._bulk_commands)
        app.router.add_put(f"{p}/applications/{{app}}/guilds/{{guild}}/commands", self._bulk_commands)
        app.router.add_post(f"{p}/channels/{{channel}}/messages", self._channel_message)
        app.router.add_post(f"{p}/channels/{{channel}}/typing", self._typing)
        app.router.add_post(f"{p}/interactions/{{interaction}}/{{token}}/callback", self._callback)
        app.router.add_post(f"{p}/webhooks/{{app}}/{{token}}", self._followup)
        app.router.add_patch(f"{p}/webhooks/{{app}}/{{token}}/messages/@original", self._edit_original)
        app.router.add_delete(f"{p}/webhooks/{{app}}/{{token}}/messages/@original", self._delete_original)

    def middlewares(self) -> list[Middleware]:
        """Discord's rate limiter and its check of the bot token."""
        return [self._middleware]

    async def disconnect(self) -> None:
        """Close every gateway connection (1001, going away)."""
        for session in self.sessions.values():
            if session.socket is not None and not session.socket.closed:
                await session.socket.close(code=1001)

    @property
    def api_url(self) -> str:
        """The REST base URL (what `discord.http.Route.BASE` should be)."""
        return f"{self.url}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """The websocket URL `/gateway/bot` hands out."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def wait_sent(self, count: int, timeout: float | None = None) -> list[Sent]:
        """Wait until at least `count` messages were sent in all; return them."""
        await self.wait_for(lambda: len(self.sent) >= count, timeout, f"{count} sent message(s), have {len(self.sent)}")
        return list(self.sent)

    # ----- REST ----------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        path = request.path
        for limit in self.rate_limits:
            if limit.times > 0 and limit.method == request.method and limit.path.search(path):
                limit.times -= 1
                return json_response(
                    {"message": "You are being rate limited.", "retry_after": limit.retry_after, "global": False},
                    status=429,
                    headers={
                        "Via": "1.1 google",
                        "Retry-After": str(max(1, round(limit.retry_after))),
                        "X-RateLimit-Limit": "5",
                        "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset-After": str(limit.retry_after),
                        "X-RateLimit-Bucket": "fakebucket",
                        "X-RateLimit-Scope": "user",
                    },
                )
        webhook = "/webhooks/" in path or "/interactions/" in path
        if path.startswith(API_PREFIX) and not webhook and request.headers.get("Authorization") != f"Bot {TOKEN}":
            return json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        response: web.StreamResponse = await handler(request)
        return response

    def rate_limit(self, method: str, path_pattern: str, times: int = 1, retry_after: float = 0.3) -> None:
        """Answer the next `times` matching requests with HTTP 429."""
        self.rate_limits.append(RateLimit(method, re.compile(path_pattern), times, retry_after))

    async def _me(self, request: web.Request) -> web.Response:
        return json_response(
            {**self.bot_user, "verified": True, "mfa_enabled": False, "locale": "en-US", "email": None}
        )

    async def _application(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "id": str(APP_ID),
                "name": "outsourcebot",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": user_payload(1, "owner"),
                "verify_key": "0" * 64,
                "team": None,
                "flags": 0,
                "summary": "",
            }
        )

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "url": self.gateway_url,
                "shards": self.shards,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1},
            }
        )

    async def _bulk_commands(self, request: web.Request) -> web.Response:
        body = await request.json()
        scope = request.match_info.get("guild", "global")
        stored = []
        for command in body:
            stored.append(
                {
                    "id": snowflake(),
                    "application_id": str(APP_ID),
                    "version": snowflake(),
                    "type": command.get("type", 1),
                    "name": command["name"],
                    "description": command.get("description", ""),
                    "options": command.get("options", []),
                    "default_member_permissions": command.get("default_member_permissions"),
                    "nsfw": command.get("nsfw", False),
                    **({"guild_id": scope} if scope != "global" else {}),
                }
            )
        self.commands[scope] = stored
        return json_response(stored)

    def _message_object(self, payload: dict[str, Any], channel_id: str, flags: int = 0) -> dict[str, Any]:
        return {
            "id": snowflake(),
            "channel_id": channel_id,
            "author": self.bot_user,
            "content": payload.get("content") or "",
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": payload.get("embeds") or [],
            "components": payload.get("components") or [],
            "pinned": False,
            "type": 19 if payload.get("message_reference") else 0,
            "flags": flags | (payload.get("flags") or 0),
        }

    async def _record(self, sent: Sent) -> web.Response | None:
        errors = message_errors(sent.payload)
        if errors:
            self.rejected.append((sent.route, errors))
            return invalid_form_body(errors)
        self.sent.append(sent)
        return None

    async def _channel_message(self, request: web.Request) -> web.Response:
        payload = await request.json()
        channel = request.match_info["channel"]
        rejected = await self._record(Sent("channel", payload, channel_id=channel))
        return rejected or json_response(self._message_object(payload, channel))

    async def _typing(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _callback(self, request: web.Request) -> web.Response:
        body = await request.json()
        interaction_id = request.match_info["interaction"]
        known = self._interactions.get(interaction_id)
        if known is None or known["token"] != request.match_info["token"]:
            return json_response({"message": "Unknown interaction", "code": 10062}, status=404)
        if known.get("answered"):
            return json_response({"message": "Interaction has already been acknowledged.", "code": 40060}, status=400)
        kind = body["type"]
        data = body.get("data") or {}
        channel = known["channel_id"]
        message = None
        if kind == 4:
            rejected = await self._record(
                Sent("callback", data, channel_id=channel, interaction_id=interaction_id, callback_type=kind)
            )
            if rejected:
                return rejected
            message = self._message_object(data, channel)
        elif kind == 5:
            message = self._message_object({"content": ""}, channel, flags=128 | (data.get("flags") or 0))
            self.sent_defers.append(interaction_id)
            known["pending_defer"] = True
        elif kind == 7:  # UPDATE_MESSAGE: a button press edits the message it sits on
            # An update may change only the buttons: an "empty" payload is fine here.
            errors = {k: v for k, v in message_errors(data).items() if v != "Cannot send an empty message"}
            if errors:
                self.rejected.append(("update", errors))
                return invalid_form_body(errors)
            self.sent.append(
                Sent("update", data, channel_id=channel, interaction_id=interaction_id, callback_type=kind)
            )
        elif kind != 6:
            return invalid_form_body({"type": f"Unsupported interaction callback type {kind}"})
        known["answered"] = True
        known["ephemeral"] = bool((data.get("flags") or 0) & 64)
        result: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": known["type"],
                "response_message_id": message["id"] if message else None,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": known["ephemeral"],
            }
        }
        if message is not None:
            result["resource"] = {"type": kind, "message": message}
        return json_response(result)

    def _interaction_by_token(self, token: str) -> dict[str, Any] | None:
        return next((i for i in self._interactions.values() if i["token"] == token), None)

    async def _followup(self, request: web.Request) -> web.Response:
        payload = await request.json()
        known = self._interaction_by_token(request.match_info["token"])
        if known is None or not known.get("answered"):
            return json_response({"message": "Unknown Webhook", "code": 10015}, status=404)
        # Like Discord: the first follow-up after a defer fills in the "thinking..." message and keeps its flags.
        replaces = bool(known.pop("pending_defer", False))
        sent = Sent(
            "followup", payload, channel_id=known["channel_id"], interaction_id=known["id"], replaced_defer=replaces
        )
        rejected = await self._record(sent)
        if rejected:
            known["pending_defer"] = replaces
        return rejected or json_response(self._message_object(payload, known["channel_id"]))

    async def _delete_original(self, request: web.Request) -> web.Response:
        known = self._interaction_by_token(request.match_info["token"])
        if known is None or not known.get("answered"):
            return json_response({"message": "Unknown Message", "code": 10008}, status=404)
        known.pop("pending_defer", None)
        self.deleted_originals.append(known["id"])
        return web.Response(status=204)

    async def _edit_original(self, request: web.Request) -> web.Response:
        payload = await request.json()
        known = self._interaction_by_token(request.match_info["token"])
        if known is None:
            return json_response({"message": "Unknown Webhook", "code": 10015}, status=404)
        rejected = await self._record(Sent("edit", payload, channel_id=known["channel_id"], interaction_id=known["id"]))
        return rejected or json_response(self._message_object(payload, known["channel_id"]))

    # ----- gateway -------------------------------------------------------------------------------

    async def _send(
        self, session: Session | None, ws: web.WebSocketResponse, packet: dict[str, Any], compressor: Any
    ) -> None:
        data = json.dumps(packet)
        if compressor is None:
            await ws.send_str(data)
        else:
            await ws.send_bytes(compressor.compress(data.encode()) + compressor.flush(zlib.Z_SYNC_FLUSH))

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        query = dict(request.query)
        self.query_strings.append(query)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        if query.get("v") != "10" or query.get("encoding") != "json":
            await ws.close(code=4012, message=b"Invalid API version")
            return ws
        compress = query.get("compress")
        if compress not in (None, "zlib-stream"):
            await ws.close(code=4000, message=b"unsupported compression")
            return ws
        compressor = zlib.compressobj() if compress == "zlib-stream" else None
        await self._send(
            None, ws, {"op": 10, "d": {"heartbeat_interval": HEARTBEAT_MS}, "s": None, "t": None}, compressor
        )
        session: Session | None = None
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            packet = json.loads(msg.data)
            op, data = packet.get("op"), packet.get("d")
            if op == 1:
                self.heartbeats += 1
                await self._send(session, ws, {"op": 11, "d": None, "s": None, "t": None}, compressor)
            elif op == 2:
                if data.get("token") != TOKEN:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                self.identifies.append(data)
                shard = tuple(data.get("shard") or (0, 1))
                session = Session(
                    snowflake(),
                    (int(shard[0]), int(shard[1])),
                    int(data.get("intents", 0)),
                    socket=ws,
                    compressor=compressor,
                )
                self.sessions[session.shard[0]] = session
                await self._ready(session)
            elif op == 6:
                self.resumes.append(data)
                found = next((s for s in self.sessions.values() if s.session_id == data.get("session_id")), None)
                if found is None or data.get("token") != TOKEN:
                    await self._send(None, ws, {"op": 9, "d": False, "s": None, "t": None}, compressor)
                    continue
                session = found
                session.socket, session.compressor = ws, compressor
                missed = [e for e in session.events if e["s"] > int(data.get("seq") or 0)]
                for event in missed:
                    await self._send(session, ws, event, compressor)
                await self._dispatch_to(session, "RESUMED", {})
            await self._notify()
        if session is not None and session.socket is ws:
            session.socket = None
        return ws

    async def _dispatch_to(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        packet = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.events.append(packet)
        if session.socket is not None and not session.socket.closed:
            await self._send(session, session.socket, packet, session.compressor)

    async def _ready(self, session: Session) -> None:
        shard_id, count = session.shard
        mine = [g for g in self.guild_ids if (g >> 22) % count == shard_id]
        await self._dispatch_to(
            session,
            "READY",
            {
                "v": 10,
                "user": self.bot_user,
                "guilds": [{"id": str(g), "unavailable": True} for g in mine],
                "session_id": session.session_id,
                "resume_gateway_url": self.gateway_url,
                "shard": [shard_id, count],
                "application": {"id": str(APP_ID), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "user_settings": {},
                "presences": [],
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": [],
            },
        )
        for guild_id in mine:
            await self._dispatch_to(
                session, "GUILD_CREATE", guild_payload(guild_id, channel_for(guild_id), self.bot_user)
            )

    def shard_for(self, guild_id: int | None) -> int:
        """Which shard receives a guild's events (DMs go to shard 0)."""
        return 0 if guild_id is None else (guild_id >> 22) % self.shards

    async def dispatch(self, event: str, data: dict[str, Any], guild_id: int | None = None) -> None:
        """Send a dispatch event to the shard that owns `guild_id`."""
        await self.wait_for(lambda: self.shard_for(guild_id) in self.sessions, what="the shard to identify")
        await self._dispatch_to(self.sessions[self.shard_for(guild_id)], event, data)

    async def reconnect(self, shard_id: int = 0) -> None:
        """Ask a shard to reconnect (op 7); discord.py answers with RESUME on a new connection."""
        session = self.sessions[shard_id]
        assert session.socket is not None
        await self._send(session, session.socket, {"op": 7, "d": None, "s": None, "t": None}, session.compressor)

    # ----- events the tests send -----------------------------------------------------------------

    async def send_message(
        self,
        content: str,
        author: dict[str, Any],
        guild_id: int | None = GUILD_ID,
        channel_id: int | None = None,
        mentions: list[dict[str, Any]] | None = None,
        mention_everyone: bool = False,
        mention_roles: list[int] | None = None,
    ) -> str:
        """A user posts a message (MESSAGE_CREATE); returns its id."""
        message_id = snowflake()
        data: dict[str, Any] = {
            "id": message_id,
            "channel_id": str(channel_id or (channel_for(guild_id) if guild_id else int(author["id"]) + 7)),
            "author": author,
            "content": content,
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": mention_everyone,
            "mentions": [{**m, "member": member_payload()} if guild_id else m for m in mentions or []],
            "mention_roles": [str(r) for r in mention_roles or []],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "nonce": message_id,
        }
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
            data["member"] = member_payload()
        await self.dispatch("MESSAGE_CREATE", data, guild_id)
        return message_id

    def _interaction(
        self,
        kind: int,
        data: dict[str, Any],
        user: dict[str, Any],
        guild_id: int | None,
        roles: list[int] | None,
        message: dict[str, Any] | None,
    ) -> dict[str, Any]:
        interaction_id = snowflake()
        channel_id = str(channel_for(guild_id) if guild_id else int(user["id"]) + 7)
        payload: dict[str, Any] = {
            "id": interaction_id,
            "application_id": str(APP_ID),
            "type": kind,
            "data": data,
            "channel_id": channel_id,
            "channel": channel_payload(int(channel_id), guild_id)
            if guild_id
            else {"id": channel_id, "type": 1, "recipients": [user], "last_message_id": None, "flags": 0},
            "token": f"itoken-{interaction_id}",
            "version": 1,
            "locale": "en-US",
            "app_permissions": "1125899906842623",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id)} if guild_id else {"1": user["id"]},
            "context": 0 if guild_id else 1,
            "attachment_size_limit": 10485760,
        }
        if guild_id is not None:
            payload["guild_id"] = str(guild_id)
            payload["guild"] = {"id": str(guild_id), "locale": "en-US", "features": []}
            payload["guild_locale"] = "en-US"
            payload["member"] = {**member_payload(roles, user), "permissions": "1071698660929"}
        else:
            payload["user"] = user
        if message is not None:
            payload["message"] = message
        self._interactions[interaction_id] = {
            "id": interaction_id,
            "token": payload["token"],
            "channel_id": channel_id,
            "type": kind,
        }
        return payload

    async def slash(
        self,
        name: str,
        user: dict[str, Any],
        options: dict[str, str] | None = None,
        guild_id: int | None = GUILD_ID,
        roles: list[int] | None = None,
    ) -> str:
        """A user runs a slash command (INTERACTION_CREATE type 2); returns the interaction id."""
        scope = str(guild_id) if guild_id is not None and str(guild_id) in self.commands else "global"
        command = next(c for c in self.commands.get(scope, []) if c["name"] == name)
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": 1}
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        if options:
            data["options"] = [{"name": k, "type": 3, "value": v} for k, v in options.items()]
        payload = self._interaction(2, data, user, guild_id, roles, None)
        await self.dispatch("INTERACTION_CREATE", payload, guild_id)
        return str(payload["id"])

    async def press(
        self, custom_id: str, user: dict[str, Any], on: Sent | None = None, guild_id: int | None = GUILD_ID
    ) -> str:
        """A user presses a button (INTERACTION_CREATE type 3) on a message the bot sent.

        `on` is the sent message; without it the button sits on a message from an earlier run.
        """
        payload_of = (
            on.payload
            if on is not None
            else {
                "components": [
                    {"type": 1, "components": [{"type": 2, "style": 2, "label": "x", "custom_id": custom_id}]}
                ]
            }
        )
        channel = str(channel_for(guild_id) if guild_id else int(user["id"]) + 7)
        message = self._message_object(payload_of, channel)
        message["components"] = [
            {
                "type": 1,
                "id": r + 1,
                "components": [{**b, "id": 10 * (r + 1) + i} for i, b in enumerate(row["components"])],
            }
            for r, row in enumerate(payload_of.get("components") or [])
        ]
        payload = self._interaction(3, {"custom_id": custom_id, "component_type": 2}, user, guild_id, None, message)
        await self.dispatch("INTERACTION_CREATE", payload, guild_id)
        return str(payload["id"])

    def sent_for(self, interaction_id: str) -> list[Sent]:
        """Messages sent in answer to one interaction, in order."""
        return [s for s in self.sent if s.interaction_id == interaction_id]


def channel_for(guild_id: int) -> int:
    """The id of a guild's text channel in the fake."""
    return guild_id + 10**16
