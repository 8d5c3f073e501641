"""outsourcebot core: curated answers on outsourcing and Moore's strategy ideas.

This package never imports a chat platform library; adapters translate to and
from `Message` and `Reply`.
"""

from bot.messages import Message, Reply, Source, Suggestion

__all__ = ["Message", "Reply", "Source", "Suggestion"]
__version__ = "0.1.0"
"""The release version; pyproject.toml reads it from here (its only source)."""
