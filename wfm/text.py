"""User strings (queue and agent names, file paths, messages) shown as data, never as code.

On a terminal: no control codes, no Rich markup (:func:`printable`, :func:`markup_safe`). In a chart: no
mathtext and no glyph the fonts lack (:data:`CHART_RC`, :func:`chart_text`).
"""

from __future__ import annotations

import re
from functools import lru_cache

# C0/C1 controls and DEL (cursor moves, colours, bell, carriage return), line/paragraph separators, the bidi
# embedding/override/isolate marks that reorder what follows them, and lone surrogates (undecodable bytes of
# a file name: a UTF-8 stream cannot encode them at all).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(ch: str) -> str:
    n = ord(ch)
    return _NAMED.get(ch) or (f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}")


def printable(value) -> str:
    """``str(value)`` with every control character shown as a Python-style escape (``\\x1b``, ``\\n``,
    ``\\u202e``), so a terminal prints it literally and a message stays on one line."""
    return _UNSAFE.sub(lambda m: _escape(m.group()), str(value))


def markup_safe(value) -> str:
    """:func:`printable`, then escaped for Rich markup: safe inside ``console.print(f"[bold]...{x} ...")``
    (not directly before a tag when it ends in a backslash)."""
    from rich.markup import escape

    s = printable(value)
    e = escape(s)
    # rich.markup.escape doubles a trailing backslash (to protect a tag after it); elsewhere it shows twice
    return e[:-1] if s.endswith("\\") and e.endswith("\\\\") and not s.endswith("\\\\") else e


# ----------------------------------------------------------------------------------------------------------
# Charts
# ----------------------------------------------------------------------------------------------------------

# Fonts tried after DejaVu Sans for scripts it lacks (CJK first); only the installed ones are used, so a
# machine without them draws the same bytes for names DejaVu Sans can draw.
FALLBACK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                  "WenQuanYi Micro Hei", "Droid Sans Fallback", "AR PL UMing CN", "Noto Sans", "Noto Sans Symbols 2")


@lru_cache(maxsize=1)
def chart_fonts() -> tuple[str, ...]:
    """The font families charts use: DejaVu Sans (bundled with matplotlib), then the installed fallbacks."""
    from matplotlib import font_manager

    have = {f.name for f in font_manager.fontManager.ttflist}
    return ("DejaVu Sans",) + tuple(f for f in FALLBACK_FONTS if f in have)


@lru_cache(maxsize=1)
def _covered() -> frozenset[int]:
    """Code points every weight used (normal, bold) of at least one chart font can draw."""
    from matplotlib import font_manager, ft2font

    out: set[int] = set()
    for fam in chart_fonts():
        maps = []
        for weight in ("normal", "bold"):
            try:
                path = font_manager.findfont(font_manager.FontProperties(family=fam, weight=weight),
                                             fallback_to_default=False)
                maps.append(set(ft2font.FT2Font(path).get_charmap()))
            except (OSError, ValueError, RuntimeError):
                continue
        if maps:
            out |= set.intersection(*maps)
    return frozenset(out - {c for c in range(0x20)} - set(range(0x7F, 0xA0)))


def chart_text(value) -> str:
    """A user string for a chart label: controls and characters no chart font can draw shown as escapes
    (``\\u5ba2``), so nothing is lost silently, nothing warns and two names stay distinguishable."""
    s = printable(value)
    cov = _covered()
    if all(ord(c) in cov for c in s):
        return s
    return "".join(c if ord(c) in cov else (f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}")
                   for c in s)


def chart_rc() -> dict:
    """rc settings for every chart: labels are plain text (a ``$`` is a dollar sign, not mathtext) and the
    font list falls back to installed fonts for other scripts."""
    return {"text.parse_math": False, "font.family": list(chart_fonts())}


def plain_text_chart(fn):
    """Decorator: draw the chart under :func:`chart_rc` (text properties are fixed when a label is made)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        import matplotlib

        # Only the keys changed are restored: matplotlib.rc_context restores every key, 'backend' included,
        # which under a notebook's inline backend closes the figure just drawn.
        rc = chart_rc()
        saved = {k: matplotlib.rcParams[k] for k in rc}
        matplotlib.rcParams.update(rc)
        try:
            return fn(*args, **kwargs)
        finally:
            matplotlib.rcParams.update(saved)

    return wrapper
