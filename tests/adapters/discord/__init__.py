"""End-to-end tests of the Discord adapter, one module per module of `adapters/discord/`.

The real discord.py client, through its own HTTP and websocket stack, talks to a fake Discord on
127.0.0.1 (`tests/adapters/fake_discord.py`): its REST API and its gateway. Nothing reaches the
internet: only 127.0.0.1 resolves while these tests run.
"""
