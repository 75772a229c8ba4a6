"""English left on a Chinese page: the words a person reads, after masking what is data.

The probe GETs every page as every role in zh-hans; `english_words` takes each 200 HTML
answer and returns the English words a reader would see: the text between tags and the
attributes people read (title, placeholder, aria-label, alt, a submit button's value), with
scripts, styles and form values left out, and codes, numbers, units, user names, e-mail
addresses and URLs masked. What remains outside ALLOWED is a defect of the translation.
"""

import re
from html.parser import HTMLParser

# Words that stay English on a Chinese page, each with its reason. Acronyms of up to three
# capitals (ID, URL, OK, R&D) pass without a line here; a word is added only when Chinese
# readers read it in English too, never because its translation is missing.
ALLOWED: dict[str, str] = {
    "english": "the language switch names English in English, as switches do",
    "xlsx": "a file format, written so on the files",
    "csv": "a file format, written so on the files",
    "pdf": "a file format, written so on the files",
    "svg": "a file format, written so on the files",
    "excel": "the program's name; Chinese writes it so",
    "icp": "the ICP filing number (ICP备案号) is named so by the regulator",
    "ldap": "a directory protocol, named so in Django's own Chinese text",
    "control": "a key named as printed on the keyboard (Django's 按住 Control 键)",
    "command": "a key named as printed on a Mac keyboard (Django's Command 键)",
    "mac": "the computer's name (Django's Mac 上的 Command 键)",
}

_READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
_SKIPPED_TAGS = {"script", "style", "textarea", "option", "code", "pre"}

# Data, not words: e-mail addresses, URLs and paths, identifiers with digits or underscores
# (codes, application numbers, user names such as bench-staff or probe_a), and the masked
# fragments of a password hash ("盐: Xm**********").
_MASKS = [
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),
    re.compile(r"[\w+/=-]*\*{3,}"),
    re.compile(r"(https?://|/)[^\s\"'<>]*"),
    re.compile(r"\b[\w-]*(\d|_)[\w-]*\b"),
]
_WORD = re.compile(r"[A-Za-z][A-Za-z'&-]*[A-Za-z]|[A-Za-z]{2,}")


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in _SKIPPED_TAGS:
            self._skip += 1
        for name in _READ_ATTRIBUTES:
            if a.get(name):
                self.parts.append(a[name])
        if tag == "input" and a.get("type", "").lower() in ("submit", "button") and a.get("value"):
            self.parts.append(a["value"])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in _SKIPPED_TAGS:
            self._skip -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def english_words(html: str, *, also_allowed: frozenset[str] = frozenset()) -> set[str]:
    """The English words a reader sees on the page, less the masked data and ALLOWED."""
    parser = _Visible()
    parser.feed(html)
    text = " ".join(parser.parts)
    for mask in _MASKS:
        text = mask.sub(" ", text)
    allowed = ALLOWED.keys() | also_allowed
    return {
        word
        for word in _WORD.findall(text)
        if word.lower() not in allowed and not (len(word) <= 3 and word.isupper())
    }
