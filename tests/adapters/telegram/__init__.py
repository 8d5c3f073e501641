"""End-to-end tests of the Telegram adapter, one module per module of `adapters/telegram/`.

The real python-telegram-bot `Application`, through its real HTTP stack (httpx), talks to a fake
Bot API server on 127.0.0.1 (`tests/adapters/fake_telegram.py`) that answers and rejects like
Telegram. Nothing reaches the internet. Every test is bounded by an asyncio timeout.
"""
