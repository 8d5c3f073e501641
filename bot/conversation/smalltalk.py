"""Small talk and conversational requests that are not questions about a topic.

Greetings get the help text, thanks a short "you're welcome", an "ok" or "bye" a
short "anything else?" (rather than an answer about the previous topic), and "tell me
more" re-answers the chat's previous topic. None of them is an unanswered question.
"""

from __future__ import annotations

import logging
import re

from bot.search.text import ACKNOWLEDGEMENTS, THANKS

log = logging.getLogger(__name__)

_WORDS = re.compile(r"[^\w' ]+")
_GREETING = re.compile(
    r"(hi|hello|hey|heya|hiya|howdy|yo|greetings|good (morning|afternoon|evening|day))"
    r"( there| all| everyone| bot| outsourcebot)?"
)
_PRAISE = (
    r"((that|this|it)( is|'s|s| was)?|thats|very|really|super|so|most)? ?"
    r"(very |really |super |so |most )?(helpful|useful|clear|handy|perfect|great|brilliant|awesome|spot on)"
    r"|(that|this|it) (helps|helped)( a lot| loads)?"
)
"""Praise of the last answer ("that's helpful", "very useful", "that helped"): thanks, not a question."""
_THANKS = re.compile(
    r"((ok|okay|great|cool|perfect|awesome|nice|brilliant|got it|oh),? )?"
    rf"(({'|'.join(THANKS)})"
    r"( a lot| so much| very much| again| for (the|your) help| for that| a bunch)?( bot| mate)?"
    rf"( ({_PRAISE}))?|({_PRAISE})( ({'|'.join(THANKS)}))?)"
    r"(,? (bye|goodbye|bye bye|see you|see ya|cya))?"
)
_ACKNOWLEDGEMENT = re.compile(
    rf"({'|'.join(ACKNOWLEDGEMENTS)}|k|nice|good|fine|sure|lol|haha|yes|yeah|no|nope"
    rf"|(({'|'.join((*ACKNOWLEDGEMENTS, 'right', 'well'))}),? )?(bye|goodbye|good night|see you|see ya))"
    r"( then| thanks| cool| great)?"
)
_MORE = re.compile(
    r"(please )?(tell me more|more|more please|go on|say more|elaborate|can you elaborate|more details|details"
    r"|give me an example|give me examples|an example|example|examples|for example|for instance"
    r"|any examples|explain|explain (that|it|more|please)|can you explain( that| it)?|why|why is that|how come)( please)?"
)


_APPLY = re.compile(
    r"(so |and |ok so |okay so )?(what does (that|this|it) mean|how does (that|this|it) (apply|work)|what about)"
    r"( for| to)? (me|us|my \w+( \w+)?|our \w+( \w+)?|a \w+( \w+)?|an \w+( \w+)?|small business(es)?)"
    r"|(what does (that|this|it) mean|how does (that|this|it) apply|so what)( in practice)?"
    r"|(can you |could you )?(give|show) me (an |another |a real )?(example|examples)( of (that|this|it))?"
    r"|(another|one more|a real|real world|a concrete) example|keep going|continue|and then|what else|anything else"
    r"|more on (that|this|it)|tell me more about (that|this|it)"
)
_BRIEF = re.compile(
    r"\b(tl ?;? ?dr|tldr|in (one|a|1) (sentence|line)|one[- ]liner|short version|the short of it|in short"
    r"|explain (it |that |this )?like i'?m (busy|five|5)|eli5|summ(ary|ari[sz]e)( (it|that|this))?|keep it short"
    r"|briefly|in brief|in a nutshell|quick version)\b( (pls|please|plz))?",
    re.IGNORECASE,
)


def brevity(text: str) -> tuple[bool, str]:
    """Spot a request for the short version ("tl;dr", "in one sentence pls", "explain like I'm busy").

    Args:
        text: The cleaned message.

    Returns:
        (True, what is left once the request is taken out) for a brevity request, which is ""
        when it asks about the chat's topic; (False, text) otherwise.
    """
    if not _BRIEF.search(text):
        return False, text
    rest = _normal(_BRIEF.sub(" ", text))
    rest = re.sub(r"^(pls|please|plz|so|ok|okay|and|just|can you|could you|give me|the)( |$)", "", rest).strip()
    rest = re.sub(r"( |^)(pls|please|plz|for me|version)$", "", rest).strip()
    return True, rest


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
    words = _normal(text)
    return bool(_MORE.fullmatch(words) or _APPLY.fullmatch(words))
