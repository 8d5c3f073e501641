"""Small talk and conversational requests that are not questions about a topic.

Greetings get the help text, thanks a short "you're welcome", an "ok" or "bye" a
short "anything else?" (rather than an answer about the previous topic), and "tell me
more" re-answers the chat's previous topic. None of them is an unanswered question.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

_WORDS = re.compile(r"[^\w' ]+")
_GREETING = re.compile(
    r"(hi|hello|hey|heya|hiya|howdy|yo|greetings|good (morning|afternoon|evening|day))"
    r"( there| all| everyone| bot| outsourcebot)?"
)
_THANKS = re.compile(
    r"((ok|okay|great|cool|perfect|awesome|nice|brilliant|got it|oh),? )?"
    r"(thanks|thank you|thankyou|thx|ty|cheers|many thanks|much appreciated)"
    r"( a lot| so much| very much| again| for (the|your) help| for that| a bunch)?( bot| mate)?"
)
_ACKNOWLEDGEMENT = re.compile(
    r"(ok|okay|k|cool|nice|great|good|fine|got it|i see|sure|alright|all right|lol|haha|hmm+|yes|yeah|no|nope"
    r"|bye|goodbye|good night|see you|see ya)( then| thanks| cool| great)?"
)
_MORE = re.compile(
    r"(please )?(tell me more|more|more please|go on|say more|elaborate|can you elaborate|more details|details"
    r"|give me an example|give me examples|an example|example|examples|for example|for instance"
    r"|any examples|explain|explain (that|it|more|please)|can you explain( that| it)?|why|why is that|how come)( please)?"
)


def _normal(text: str) -> str:
    return " ".join(_WORDS.sub(" ", text.lower()).split())


def small_talk(text: str) -> str | None:
    """Classify a whole message as small talk.

    Args:
        text: The cleaned message.

    Returns:
        "greeting", "thanks", "acknowledgement" ("ok", "got it", "bye"), or None for anything else.
    """
    words = _normal(text)
    if _GREETING.fullmatch(words):
        return "greeting"
    if _THANKS.fullmatch(words):
        return "thanks"
    if _ACKNOWLEDGEMENT.fullmatch(words):
        return "acknowledgement"
    return None


def wants_more(text: str) -> bool:
    """True for "tell me more", "give me an example", "explain", "why?": more of the previous answer."""
    return bool(_MORE.fullmatch(_normal(text)))
