"""Provider text made safe for every place it is shown: Slack mrkdwn, Slack plain_text, code spans, the terminal.

Names of workspaces, projects, models, keys and line items (and the error text a provider sends) are hostile
input: `<!channel>`, `*bold*`, a newline, `\\x1b[2J` or U+202E must reach no reader as a mention, formatting or
a control character. Two steps, so each sink escapes once and only for itself:

1. `clean(name)` is the display form of one provider string, whatever the sink: one line, without control,
   bidi, zero-width or escape-sequence characters, at most `limit` characters. The terminal and Slack's
   plain_text (headers, which Slack shows literally and escapes itself) take it as it is.
2. A Slack sink escapes text built from clean names and our own words:
   - `literal(text)` shows plain text literally in mrkdwn (sections, fields, context, the `text` fallback):
     `& < >` as entities, which is all Slack documents; Slack has no escape for `* _ ~ \\``, so those become
     look-alikes (`∗ ˍ ∼ ˋ`) wherever they could open or close formatting (everywhere but between two ASCII
     letters or digits, where Slack never formats: snake_case ids stay readable), and a `>` that starts a line
     becomes `›` so it cannot quote. A colon that opens an emoji shortcode (`:skull:`, `::skin-tone-2:`) becomes
     `∶`, so Slack shows the name rather than an emoji; `no_emoji` does only that, for plain_text sent with
     `emoji: true` (headers).
   - `code(text)` for text inside a ``` block or a `code span`, where Slack does not format: entities for
     `& < >`, and backticks become `ˋ` so the span cannot be closed early.
   - `mrkdwn(name)` is `literal(clean(name))`, for one name set into our own markup.
   Mrkdwn text objects are also sent with `verbatim: true` (bot.slack.kit), so Slack does not turn a bare URL,
   `#channel` or `@here` in a name into a link or a mention.
`terminal(text)` filters a whole block of output on its way to a terminal: newlines stay, every other control
character, ESC sequence and bidi or zero-width character goes (our own output never contains them).
`escape(text)` is the `& < >` escaping alone, for our own words that carry our own markup.
"""

from __future__ import annotations

import re
import unicodedata

NAME_LIMIT = 80  # one name: a table column, a scope title, a bullet
TEXT_LIMIT = 300  # a provider's error text or a composed label
NOTE_LIMIT = 600  # a report note, which may quote a provider's error

# CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), DCS/SOS/PM/APC strings, and two-character ESC sequences
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|[ -/]*[0-~]?)"
)
# characters that break a line or stand for a space: a space in the one-line form, a newline in terminal output
_BREAKS = "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029"
# Cc: C0, DEL and C1 controls; Cf: bidi embeddings, overrides, isolates and marks, zero-width (non-)joiners and
# spaces, word joiner, BOM, soft hyphen, tags; Cs: lone surrogates (they cannot even be encoded as UTF-8)
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_ENTITIES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;"}
_LOOK_ALIKES = {"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"}
# a formatting character is safe only with an ASCII letter or digit on both sides (Slack formats at word breaks)
_FORMATTING = re.compile(r"`|(?<![A-Za-z0-9])[*_~]|[*_~](?![A-Za-z0-9])")
_QUOTE_START = re.compile(r"^(\s*)>", re.MULTILINE)
# Slack's emoji names: letters, digits, `_ + - '`; a colon followed by one and another colon opens a shortcode
_SHORTCODE_START = re.compile(r":(?=[A-Za-z0-9_+'-]+:)")
UNNAMED = "(unnamed)"


def _visible(text: str) -> str:
    text = _ESCAPE_SEQUENCE.sub("", text)
    return "".join(c for c in text if (c.isascii() and c.isprintable()) or unicodedata.category(c) not in _INVISIBLE)


def clean(text: str, limit: int = NAME_LIMIT) -> str:
    """The one-line display form of a provider string: printable, single-spaced, at most `limit` characters."""
    flat = " ".join(_visible(text.translate({ord(c): " " for c in _BREAKS})).split())
    if not flat:
        return UNNAMED
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def escape(text: str) -> str:
    """`& < >` as Slack's entities: what Slack asks for in every mrkdwn text (docs.slack.dev, formatting)."""
    return text.translate(_ENTITIES)


def literal(text: str) -> str:
    """Plain text (our words and clean names) as mrkdwn that shows it literally: no mention, link or formatting."""
    quoted = _QUOTE_START.sub(lambda m: m.group(1) + "\u203a", no_emoji(text))
    return escape(_FORMATTING.sub(lambda m: _LOOK_ALIKES[m.group()], quoted))


def no_emoji(text: str) -> str:
    """Text in which Slack finds no emoji shortcode: the colon that would open one becomes a look-alike `∶`."""
    return _SHORTCODE_START.sub("\u2236", text)


def mrkdwn(name: str, limit: int = NAME_LIMIT) -> str:
    """One provider name set into our own mrkdwn."""
    return literal(clean(name, limit))


def code(text: str) -> str:
    """Text for a ``` block or a `code span` (where Slack does not format): entities, and no backtick to close it."""
    return escape(text.replace("`", _LOOK_ALIKES["`"]))


def terminal(text: str) -> str:
    """Output for a terminal: lines kept, every other control character, ESC sequence and bidi character dropped."""
    lines = _ESCAPE_SEQUENCE.sub("", text).replace("\r\n", "\n").split("\n")
    return "\n".join(_visible(line.translate({ord(c): " " for c in _BREAKS})) for line in lines)
