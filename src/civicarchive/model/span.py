"""A place in a text: the evidence the moderation and compliance engines quote."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """Where in a text a piece of evidence is: text[start:end] (Python string offsets)."""

    start: int
    end: int
    text: str

    def as_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text}
