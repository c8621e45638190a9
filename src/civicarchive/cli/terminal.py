"""What the command line prints is archived text, written by anyone: a post holding
terminal escape sequences could retitle the window, clear the screen or print a fake
"verify OK" when `show` or `search` displays it, on a terminal or through `cat` later.
Text written to stdout and stderr has its control characters made visible (ESC as ␛,
a carriage return without its line feed as ␍, any other as �), tab and line breaks
excepted. JSON output is unchanged: it escapes every control character itself. Bytes
(a proof or a PDF written to stdout) are written as they are."""

from __future__ import annotations

import re
import sys

_VISIBLE = {code: "\ufffd" for code in range(0x20) if code not in (0x09, 0x0A, 0x0D)}
_VISIBLE[0x1B] = "\u241b"
_LONE_RETURN = re.compile(r"\r(?!\n)")


def inert(text: str) -> str:
    """The text with its control characters made visible (see above)."""
    return _LONE_RETURN.sub("\u240d", text.translate(_VISIBLE))


class _Inert:
    """A text stream that writes `inert` text to the stream it wraps."""

    def __init__(self, stream) -> None:  # noqa: ANN001
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(inert(text))

    def __getattr__(self, name: str):  # noqa: ANN204 - everything else is the stream's
        return getattr(self._stream, name)


def guard() -> None:
    """Wrap stdout and stderr (once) so that archived text cannot drive the terminal."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, _Inert):
            setattr(sys, name, _Inert(stream))
