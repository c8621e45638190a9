"""What the moderation log records: the actions a moderator takes, and the stances a
reviewer labels commenters with (for the viewpoint-neutrality report)."""

from __future__ import annotations

import enum


class ModerationKind(enum.StrEnum):
    """An action on a comment (hide, unhide, delete) or on its author (block, unblock)."""

    HIDE = "hide"
    UNHIDE = "unhide"
    DELETE = "delete"
    BLOCK = "block"
    UNBLOCK = "unblock"

    @property
    def removes(self) -> bool:
        """Whether it takes a comment out of public view (hide, delete)."""
        return self in (ModerationKind.HIDE, ModerationKind.DELETE)

    @property
    def restricts(self) -> bool:
        """Whether it restricts speech or a speaker: takes a comment out of public view, or
        shuts its author out of the forum (a block is judged at least as strictly as a
        hide: O'Connor-Ratcliff v. Garnier, 2024; Davison v. Randall, 4th Cir. 2019). Every
        action that does not restore does."""
        return not self.restores

    @property
    def restores(self) -> bool:
        return self in (ModerationKind.UNHIDE, ModerationKind.UNBLOCK)


class Stance(enum.StrEnum):
    """A commenter's stance toward the post's subject, as a reviewer labels it: never
    guessed by a model."""

    FOR = "for"
    AGAINST = "against"
    NEUTRAL = "neutral"
