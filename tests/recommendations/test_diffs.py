"""What changed between two versions of an update, as the reviewer reads it."""

from recommendations.diffs import (
    DELETED,
    EQUAL,
    INSERTED,
    Segment,
    measure_changes,
    update_diff,
    word_diff,
)


def runs(segments: list[Segment]) -> list[tuple[str, str]]:
    return [(segment.kind, segment.text) for segment in segments]


def diff(before: str, after: str) -> list[tuple[str, str]]:
    return runs(word_diff(before, after, before_language="en", after_language="en"))


def snapshot(**fields) -> dict:
    values = {
        "status": "planned",
        "summary": "A plan is drafted.",
        "narrative": "",
        "narrative_language": "en",
        "challenges": "",
        "measures": [],
    }
    values.update(fields)
    return values


def test_a_changed_word_is_deleted_and_inserted_the_rest_kept():
    assert diff("The law was drafted.", "The law was adopted.") == [
        (EQUAL, "The law was "),
        (DELETED, "drafted"),
        (INSERTED, "adopted"),
        (EQUAL, "."),
    ]


def test_words_added_at_the_end_are_one_insertion():
    assert diff("Three ministries", "Three ministries and two courts") == [
        (EQUAL, "Three ministries "),
        (INSERTED, "and two courts"),
    ]


def test_a_changed_comma_marks_the_comma_not_the_word():
    assert diff("Police, courts and", "Police; courts and") == [
        (EQUAL, "Police"),
        (DELETED, ", "),
        (INSERTED, "; "),
        (EQUAL, "courts and"),
    ]


def test_a_text_that_did_not_exist_is_all_inserted():
    assert diff("", "A new text.") == [(INSERTED, "A new text.")]
    assert diff("An old text.", "") == [(DELETED, "An old text.")]


def test_line_breaks_are_kept_in_the_text_shown():
    segments = diff("First paragraph.\n\nSecond.", "First paragraph.\n\nSecond one.")
    assert "".join(text for kind, text in segments if kind != DELETED) == (
        "First paragraph.\n\nSecond one."
    )


def test_texts_in_different_languages_are_not_compared_word_by_word():
    segments = word_diff(
        "The plan is drafted.",
        "El plan está redactado.",
        before_language="en",
        after_language="es",
    )
    assert segments == [
        Segment(DELETED, "The plan is drafted.", "en"),
        Segment(INSERTED, "El plan está redactado.", "es"),
    ]


def test_markup_is_text_here_the_template_escapes_it():
    assert diff("a", "<script>x</script>") == [
        (DELETED, "a"),
        (INSERTED, "<script>x</script>"),
    ]


def test_the_status_change_is_reported_with_its_labels():
    change = update_diff(snapshot(), snapshot(status="in_progress")).status
    assert (change.before_label, change.after_label) == ("Planned", "In progress")


def test_unchanged_versions_have_no_changes():
    changes = update_diff(snapshot(), snapshot())
    assert not changes.has_changes
    assert changes.status is None and changes.texts == [] and changes.measures == []


def test_only_changed_texts_are_listed():
    changes = update_diff(
        snapshot(challenges="Funding."),
        snapshot(summary="A plan is adopted.", challenges="Funding."),
    )
    assert [text.name for text in changes.texts] == ["summary"]
    assert changes.texts[0].label == "Public summary"


def test_a_narrative_in_another_language_is_listed_even_when_equal_in_letters():
    changes = update_diff(
        snapshot(narrative="Plan"),
        snapshot(narrative="Plan", narrative_language="fr"),
    )
    [narrative] = [text for text in changes.texts if text.name == "narrative"]
    assert narrative.language == "fr"
    assert [s.language for s in narrative.segments] == ["en", "fr"]


def measure(title: str, kind: str = "policy", date: str = "", link: str = "") -> dict:
    return {"kind": kind, "title": title, "date": date, "link": link}


def test_measures_added_removed_and_changed():
    before = [
        measure("National action plan"),
        measure("Hotline", kind="victim_services"),
        measure("Course for judges", kind="training", date="2026-01-10"),
    ]
    after = [
        measure("National action plan"),
        measure("course  for JUDGES", kind="training", date="2026-03-01"),
        measure("Shelter in Monterrey", kind="victim_services"),
    ]

    changes = measure_changes(before, after)

    summary = [
        (
            change.kind,
            (change.before or change.after).title,
            change.fields,
        )
        for change in changes
    ]
    assert summary == [
        ("changed", "Course for judges", ["Title", "Date"]),
        ("added", "Shelter in Monterrey", []),
        ("removed", "Hotline", []),
    ]
    changed = changes[0]
    assert changed.after.title == "course  for JUDGES"
    assert changed.after.day.isoformat() == "2026-03-01"
    assert changed.after.kind_label == "Training"


def test_an_unchanged_list_of_measures_has_no_changes():
    same = [measure("National action plan"), measure("Hotline")]
    assert measure_changes(same, list(same)) == []


def test_two_measures_of_the_same_title_pair_in_order():
    before = [measure("Course"), measure("Course")]
    after = [measure("Course")]
    [change] = measure_changes(before, after)
    assert change.kind == "removed"
