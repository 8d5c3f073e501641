"""The Telegram front end: python-telegram-bot (v22, asyncio) around the shared core.

Modules, one concern each:

- `config`: settings from the environment, checked at start-up.
- `render`: a core `Reply` as Telegram HTML messages and inline keyboards.
- `callbacks`: the short strings behind inline buttons.
- `retry`: waiting out 429s and retrying network errors on every Bot API call.
- `logs`: keeping the token out of every log line.
- `working`: the "typing" indicator (pacing and per-chat order are the core's, `bot.conversation.pacing`).
- `handlers`: what the bot does with each update.
- `app`: building, starting and stopping the python-telegram-bot `Application`.
- `commands`: the `outsourcebot telegram` command.

Importing this package imports nothing heavy; `commands` stays instant for `--help`.
"""
