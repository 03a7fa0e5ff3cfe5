"""One story, not five alerts: near-duplicates across sources and languages."""

from monitor.stories.assign import (
    assign_story,
    index_for,
    story_members,
)
from monitor.stories.fingerprint import Fingerprint, fingerprint
from monitor.stories.index import Link, StoryIndex

__all__ = [
    "Fingerprint",
    "Link",
    "StoryIndex",
    "assign_story",
    "fingerprint",
    "index_for",
    "story_members",
]
