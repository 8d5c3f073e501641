"""The Discord front end: slash commands, mentions and DMs answered by the shared core.

Importing this package imports nothing heavy; `adapters.discord.client` pulls in discord.py.
"""
