"""deploy/nginx-telegram-webhook.conf, run in Debian's nginx in front of the real bot in webhook mode.

The bot is `outsourcebot telegram` in its own process, talking to the fake Bot API on
127.0.0.1; nginx terminates TLS with a throw-away certificate and forwards the webhook
path to the bot's local port. An update posted to nginx is answered through the fake.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from bot.config import REPO_DIR
from tests.adapters.fake_telegram import TOKEN, FakeTelegram

SITE = REPO_DIR / "deploy" / "nginx-telegram-webhook.conf"
EXE = Path(sys.executable).parent / "outsourcebot"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
HOST = "bot.example.com"
SECRET = "proxy-Secret_42"
USER = 1001

pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (apt-get install nginx; .ci/run installs it)"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def replace_once(text: str, old: str, new: str) -> str:
    """Replace the one line the example marks for editing; fail if the example changed under the test."""
    assert text.count(old) == 1, f"{SITE.name} no longer has exactly one {old!r}"
    return text.replace(old, new)


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for HOST (openssl, as for a real server without Let's Encrypt)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={HOST}"),
            *("-addext", f"subjectAltName=DNS:{HOST}", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def nginx_conf(folder: Path, listen: int, upstream: int, cert: Path, key: Path) -> Path:
    """The shipped site file with its marked lines edited, inside a minimal nginx.conf of its own prefix."""
    site = SITE.read_text(encoding="utf-8")
    site = replace_once(site, "listen 443 ssl;", f"listen 127.0.0.1:{listen} ssl;")
    site = replace_once(site, f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(cert))
    site = replace_once(site, f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(key))
    site = replace_once(site, "proxy_pass http://127.0.0.1:8443;", f"proxy_pass http://127.0.0.1:{upstream};")
    (folder / "site.conf").write_text(site, encoding="utf-8")
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = folder / "nginx.conf"
    conf.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} warn;\n"
        + "events { worker_connections 64; }\n"
        + f"http {{\n    access_log {folder / 'access.log'};\n{temp}\n    include {folder / 'site.conf'};\n}}\n",
        encoding="utf-8",
    )
    return conf


async def listening(port: int, process: asyncio.subprocess.Process, what: str, timeout: float = 60) -> None:
    async with asyncio.timeout(timeout):
        while True:
            assert process.returncode is None, f"{what} exited with {process.returncode}"
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.1)


@asynccontextmanager
async def process(*argv: str, env: dict[str, str] | None = None) -> AsyncIterator[asyncio.subprocess.Process]:
    proc = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def test_an_update_through_nginx_reaches_the_bot_and_is_answered(tiny_knowledge: Path, tmp_path: Path) -> None:
    assert NGINX is not None
    cert, key = certificate(tmp_path)
    listen, upstream = free_port(), free_port()
    conf = nginx_conf(tmp_path, listen, upstream, cert, key)
    checked = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr

    fake = await FakeTelegram().start()
    fake.private_chat(USER)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OUTSOURCEBOT_", "TELEGRAM_"))}
    env.update(
        OUTSOURCEBOT_DATA_DIR=str(tmp_path / "data"),
        OUTSOURCEBOT_KNOWLEDGE_DIR=str(tiny_knowledge),
        OUTSOURCEBOT_ENCODER="numpy",
        HF_HUB_OFFLINE="1",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=fake.base_url,
        TELEGRAM_WEBHOOK_URL=f"https://{HOST}/telegram/hook",
        TELEGRAM_WEBHOOK_PORT=str(upstream),
        TELEGRAM_WEBHOOK_SECRET=SECRET,
    )
    trust = ssl.create_default_context(cafile=str(cert))
    update = {"update_id": 7, "message": fake.message(fake.private_chat(USER), USER, "what is the chasm")}
    try:
        async with (
            process(NGINX, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;") as nginx,
            process(str(EXE), "telegram", env=env) as bot,
        ):
            await listening(listen, nginx, "nginx")
            await listening(upstream, bot, "the bot")
            await fake.wait_for(lambda: fake.webhook.get("url"), timeout=30)
            assert fake.webhook["url"] == f"https://{HOST}/telegram/hook"
            assert fake.webhook["secret_token"] == SECRET
            async with aiohttp.ClientSession() as http:

                async def post(path: str, secret: str, method: str = "POST") -> int:
                    async with http.request(
                        method,
                        f"https://127.0.0.1:{listen}{path}",
                        json=update,
                        headers={"X-Telegram-Bot-Api-Secret-Token": secret, "Host": HOST},
                        ssl=trust,
                        server_hostname=HOST,
                    ) as response:
                        return response.status

                assert await post("/telegram/hook", "wrong") == 403, "the bot checks the secret behind nginx"
                assert await post("/other", SECRET) == 404, "only the webhook path reaches the bot"
                assert await post("/telegram/hook", SECRET, method="PUT") == 403, "only POST is forwarded"
                assert await post("/telegram/hook", SECRET) == 200
            sent = await fake.wait_for(lambda: fake.sent_to(USER), timeout=30)
            assert sent[0]["text"].startswith("Crossing the chasm"), sent
            assert len(fake.sent_to(USER)) == 1, "the update with the wrong secret was not processed"
            assert not fake.calls_to("getUpdates"), "webhook mode: no long polling"
        assert bot.returncode == 0, await bot.stderr.read() if bot.stderr else b""
    finally:
        await fake.close()
    log = (tmp_path / "access.log").read_text(encoding="utf-8")
    assert '"POST /telegram/hook HTTP/1.1" 200' in log, log
