"""What changed between two versions of an update, as a reviewer reads it: the status,
the texts word by word, and the measures added, removed or changed.

Both versions are plain data, as ``services.snapshot`` keeps them in the history.
"""

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from recommendations.models import Measure, Status

EQUAL, INSERTED, DELETED = "equal", "inserted", "deleted"

# A word or a punctuation mark with the white space after it, compared without that
# space: a changed comma does not mark the word beside it, a changed space marks
# nothing, and no lone space stands between two changed words.
_TOKEN = re.compile(r"\s+|\w+\s*|[^\w\s]\s*")


TEXT_LABELS = {
    "summary": _("Public summary"),
    "narrative": _("Narrative"),
    "challenges": _("Challenges"),
}

MEASURE_LABELS = {
    "kind": _("Type"),
    "title": _("Title"),
    "date": _("Date"),
    "link": _("Link"),
}


@dataclass(frozen=True)
class Segment:
    kind: str  # EQUAL, INSERTED or DELETED
    text: str
    language: str  # the language the text is written in


@dataclass(frozen=True)
class TextChange:
    name: str
    label: str
    language: str  # the new text's
    segments: list[Segment]


@dataclass(frozen=True)
class StatusChange:
    before: str
    after: str

    @property
    def before_label(self) -> str:
        return Status(self.before).label if self.before else ""

    @property
    def after_label(self) -> str:
        return Status(self.after).label if self.after else ""


@dataclass(frozen=True)
class MeasureItem:
    kind: str
    title: str
    date: str = ""  # ISO 8601, as in the snapshot
    link: str = ""

    @property
    def kind_label(self) -> str:
        return Measure.Kind(self.kind).label if self.kind else ""

    @property
    def day(self) -> dt.date | None:
        return dt.date.fromisoformat(self.date) if self.date else None


@dataclass(frozen=True)
class MeasureChange:
    kind: str  # "added", "removed" or "changed"
    before: MeasureItem | None
    after: MeasureItem | None
    fields: list[str] = field(default_factory=list)  # labels of what changed


@dataclass(frozen=True)
class UpdateDiff:
    status: StatusChange | None
    texts: list[TextChange]
    measures: list[MeasureChange]

    @property
    def has_changes(self) -> bool:
        return bool(self.status or self.texts or self.measures)


def word_diff(
    before: str, after: str, *, before_language: str, after_language: str
) -> list[Segment]:
    """``after`` against ``before``, word by word, in runs of equal, inserted and
    deleted text. Texts in different languages are not compared word by word: the
    whole old text is deleted and the new one inserted."""
    if before_language != after_language:
        segments = []
        if before:
            segments.append(Segment(DELETED, before, before_language))
        if after:
            segments.append(Segment(INSERTED, after, after_language))
        return segments
    old, new = _tokens(before), _tokens(after)
    matcher = difflib.SequenceMatcher(
        None, [t.strip() for t in old], [t.strip() for t in new], autojunk=False
    )
    segments: list[Segment] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            _append(segments, EQUAL, "".join(new[j1:j2]), after_language)
            continue
        if i2 > i1:
            _append(segments, DELETED, "".join(old[i1:i2]), before_language)
        if j2 > j1:
            _append(segments, INSERTED, "".join(new[j1:j2]), after_language)
    return segments


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _append(segments: list[Segment], kind: str, text: str, language: str) -> None:
    if segments and segments[-1].kind == kind:
        segments[-1] = Segment(kind, segments[-1].text + text, language)
    else:
        segments.append(Segment(kind, text, language))


def update_diff(before: dict, after: dict) -> UpdateDiff:
    """What changed from the ``before`` version of an update to the ``after`` one."""
    status = None
    if before.get("status", "") != after.get("status", ""):
        status = StatusChange(before.get("status", ""), after.get("status", ""))
    before_language = before.get("narrative_language") or "en"
    after_language = after.get("narrative_language") or "en"
    texts = []
    for name, label in TEXT_LABELS.items():
        old, new = before.get(name) or "", after.get(name) or ""
        if old == new and before_language == after_language:
            continue
        if old == new == "":
            continue
        segments = word_diff(
            old, new, before_language=before_language, after_language=after_language
        )
        texts.append(TextChange(name, str(label), after_language, segments))
    return UpdateDiff(
        status,
        texts,
        measure_changes(before.get("measures", []), after.get("measures", [])),
    )


def measure_changes(before: list[dict], after: list[dict]) -> list[MeasureChange]:
    """Measures are matched by title (case and spacing aside): one whose title is
    new is added, one whose title is gone is removed, one whose type, date or link
    differs is changed."""
    unmatched = [_measure(item) for item in before]
    changes = []
    for item in map(_measure, after):
        match = next(
            (old for old in unmatched if _key(old.title) == _key(item.title)), None
        )
        if match is None:
            changes.append(MeasureChange("added", None, item))
            continue
        unmatched.remove(match)
        differ = [
            str(label)
            for name, label in MEASURE_LABELS.items()
            if getattr(match, name) != getattr(item, name)
        ]
        if differ:
            changes.append(MeasureChange("changed", match, item, differ))
    changes.extend(MeasureChange("removed", old, None) for old in unmatched)
    return changes


def _measure(item: dict) -> MeasureItem:
    return MeasureItem(
        kind=item.get("kind", ""),
        title=item.get("title", ""),
        date=item.get("date") or "",
        link=item.get("link") or "",
    )


def _key(title: str) -> str:
    return " ".join(title.split()).casefold()
