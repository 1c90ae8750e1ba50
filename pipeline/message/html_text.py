"""Visible text of an HTML mail body, one line per block: the one HTML-to-text parser
for a mail's body (parse.py) and for the new text of a reply (quotes.py, which also
marks where a quoted mail starts)."""

from __future__ import annotations

from html.parser import HTMLParser

HIDDEN_TAGS = ("script", "style", "head", "title")
BLOCK_TAGS = frozenset(
    {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "hr"}
)


class VisibleText(HTMLParser):
    """Collects the text a reader sees; a block element starts and ends a line.
    Subclasses may say more at a block's start (`opening`)."""

    block_tags: frozenset[str] = BLOCK_TAGS

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def opening(self, tag: str, attrs: dict) -> str | None:
        """What to write where `tag` opens (None: a newline for a block, nothing otherwise)."""
        return None

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN_TAGS:
            self.skip += 1
            return
        said = self.opening(tag, dict(attrs))
        if said is not None:
            self.parts.append(said)
        elif tag in self.block_tags:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag in self.block_tags:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in HIDDEN_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in self.block_tags:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def read_visible(parser: VisibleText, html: str) -> str:
    """Feed `html` to `parser`; hostile or broken markup yields what was read so far."""
    try:
        parser.feed(html)
        parser.close()
    except Exception:
        pass
    return "".join(parser.parts)
