"""The Telegram front end: python-telegram-bot (v22, asyncio) around the shared core.

Modules, one concern each:

- `config`: settings from the environment, checked at start-up.
- `render`: a core `Reply` as Telegram HTML messages and inline keyboards.
- `callbacks`: the short strings behind inline buttons.
- `retry`: waiting out 429s and retrying network errors on every Bot API call.
- `working`: the "typing" indicator (pacing and per-chat order are the core's, `bot.conversation.pacing`).
- `handlers`: what the bot does with each update.
- `channels`: where a reply goes (a chat, an admin's private chat, a button press) and how it is sent.
- `transport`: the HTTP client for Bot API calls (a small pool; the waiting outside it).
- `app`: building, starting and stopping the python-telegram-bot `Application`.
- `commands`: the `outsourcebot telegram` command.

Importing this package imports nothing heavy; `commands` stays instant for `--help`.
"""
