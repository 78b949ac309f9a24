"""Matching a reader's words whatever their case and accents, and showing where."""

import unicodedata
from dataclasses import dataclass


def _folded_chars(text: str) -> tuple[str, list[int]]:
    """``text`` without accents, case-folded, and for each of its characters the
    position in ``text`` it comes from (folding can change the length: ß, ﬁ)."""
    chars: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        for part in unicodedata.normalize("NFKD", char):
            if unicodedata.combining(part):
                continue
            for folded in part.casefold():
                chars.append(folded)
                origins.append(index)
    return "".join(chars), origins


def fold(text: str) -> str:
    """``text`` as it is compared: no accents, no case, spaces collapsed."""
    return " ".join(_folded_chars(text)[0].split())


@dataclass(frozen=True)
class Piece:
    text: str
    is_match: bool


def pieces(text: str, query: str) -> list[Piece]:
    """``text`` cut where ``query`` occurs in it (folded alike), matches marked."""
    needle = _folded_chars(query.strip())[0]
    haystack, origins = _folded_chars(text)
    if not needle:
        return [Piece(text, False)] if text else []
    result, start, done = [], 0, 0
    while (found := haystack.find(needle, start)) != -1:
        begin = origins[found]
        end = origins[found + len(needle) - 1] + 1
        if begin > done:
            result.append(Piece(text[done:begin], False))
        result.append(Piece(text[begin:end], True))
        done, start = end, found + len(needle)
    if done < len(text):
        result.append(Piece(text[done:], False))
    return result


def excerpt(text: str, query: str, *, length: int) -> tuple[str, bool, bool]:
    """At most about ``length`` characters of ``text`` around the first match of
    ``query``, cut at spaces: the excerpt, and whether text was left out before it
    and after it."""
    if len(text) <= length:
        return text, False, False
    position = 0
    for piece in pieces(text, query):
        if piece.is_match:
            break
        position += len(piece.text)
    else:
        position = 0
    start = max(0, position - length // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < position else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > position else end
    return text[start:end], start > 0, end < len(text)
