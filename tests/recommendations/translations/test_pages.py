"""The status and language pages, and who may reach any translation page.

The cast (tests/conftest.py): the public, Maria and Bruno (focal points), Rita (a
reviewer) and Alba (a Secretariat admin). Only Alba may manage translations.
"""

import re

import pytest

from recommendations.translations import po
from recommendations.translations.services import set_translation
from recommendations.translations.texts import catalogue_texts, entry
from tests.recommendations.translations.conftest import snapshot, with_msgstr

pytestmark = pytest.mark.django_db

LOGIN = "/en/accounts/login/?next="


def text_for(instrument, key):
    return next(t for t in catalogue_texts(instrument) if t.key == key)


def make_official(text, language="es", reference="OEA/Ser.K/XXXIX.7"):
    set_translation(
        text=text,
        language=language,
        new_text=f"Texto oficial de {text.key}",
        standing="official",
        reference=reference,
        expected=entry(text.obj, text.field, language)
        or {
            "text": "",
            "standing": "",
            "reference": "",
        },
    )


def remove(text, language="es"):
    set_translation(
        text=text,
        language=language,
        new_text="",
        standing="working",
        reference="",
        expected=entry(text.obj, text.field, language),
    )


# --- Who may come in ------------------------------------------------------------

GET_PAGES = [
    "/en/translations/",
    "/en/translations/es/",
    "/en/translations/fr/recommendation.1.text/",
    "/en/translations/pt/export.po",
    "/en/translations/es/import/",
]


@pytest.mark.parametrize("path", GET_PAGES)
def test_the_public_is_sent_to_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


@pytest.mark.parametrize("role", ["focal_mex", "focal_bra", "reviewer"])
@pytest.mark.parametrize("path", GET_PAGES)
def test_others_than_admins_are_refused_every_page(client, who, role, path):
    client.force_login(who(role))

    response = client.get(path)

    assert response.status_code == 403
    assert "msgctxt" not in response.content.decode()


@pytest.mark.parametrize("path", GET_PAGES)
def test_an_admin_reaches_every_page(alba, path):
    assert alba.get(path).status_code == 200


def _posts(instrument):
    """Each change a person could try, as (path, data), each complete and valid."""
    text = text_for(instrument, "recommendation.1.text")
    found = entry(text.obj, text.field, "es")
    from recommendations.translations.forms import TranslationForm, sign_import

    content = with_msgstr(
        po.export(instrument, "es"), text.key, f"CAMBIADO {found['text']}"
    )
    reading = po.read(instrument, "es", content)
    assert reading.changes
    payload = sign_import(
        language="es",
        content=content,
        standing="working",
        reference="",
        reading=reading,
    )
    return [
        (
            "/en/translations/es/recommendation.1.text/",
            {
                "text": "Otro texto",
                "standing": "working",
                "reference": "",
                "expected": TranslationForm.expected_value(found),
            },
        ),
        ("/en/translations/es/import/confirm/", {"payload": payload}),
    ]


@pytest.mark.parametrize("role", ["public", "focal_mex", "reviewer"])
def test_no_one_but_an_admin_can_change_a_translation(client, who, role, instrument):
    user = who(role)
    if user is not None:
        client.force_login(user)
    before = snapshot()

    for path, data in _posts(instrument):
        response = client.post(path, data)
        if user is None:
            assert response.status_code == 302
            assert response["Location"].startswith(LOGIN)
        else:
            assert response.status_code == 403

    assert snapshot() == before


def test_the_same_posts_do_change_for_an_admin(alba, instrument):
    """The denials above are denials, not broken requests."""
    text = text_for(instrument, "recommendation.1.text")
    (edit_path, edit), _confirm = _posts(instrument)

    assert alba.post(edit_path, edit).status_code == 302
    text.obj.refresh_from_db()
    assert entry(text.obj, "text", "es")["text"] == "Otro texto"

    _edit, (confirm_path, confirm) = _posts(instrument)
    assert alba.post(confirm_path, confirm).status_code == 302
    text.obj.refresh_from_db()
    assert entry(text.obj, "text", "es")["text"] == "CAMBIADO Otro texto"


def test_an_inactive_admin_is_refused(client, secretariat_admin):
    secretariat_admin.is_active = False
    secretariat_admin.save()
    client.force_login(secretariat_admin)

    response = client.get("/en/translations/")

    assert response.status_code in (302, 403)


@pytest.mark.parametrize(
    "path",
    [
        "/en/translations/en/",
        "/en/translations/de/",
        "/en/translations/es/recommendation.99.text/",
        "/en/translations/es/theme.nothing.title/",
        "/en/translations/es/import.po/",
        "/en/translations/xx/export.po",
    ],
)
def test_unknown_languages_and_texts_are_not_found(alba, path):
    assert alba.get(path).status_code == 404


# --- The navigation -----------------------------------------------------------


def test_the_navigation_links_admins_to_the_translations(alba):
    page = alba.get("/en/workspace/").content.decode()

    assert 'href="/en/translations/"' in page


@pytest.mark.parametrize("role", ["public", "focal_mex", "reviewer"])
def test_the_navigation_hides_the_link_from_others(client, who, role):
    if who(role) is not None:
        client.force_login(who(role))

    page = client.get("/en/recommendations/").content.decode()

    assert 'href="/en/translations/"' not in page


# --- The status page ------------------------------------------------------------


def counts(page: str, language_name: str) -> list[int]:
    row = re.search(
        rf">{language_name}</a></th>(.*?)</tr>", page, flags=re.DOTALL
    ).group(1)
    return [int(n) for n in re.findall(r"<td>(?:<strong>)?(\d+)", row)]


def test_the_status_page_counts_each_standing_per_language(alba, instrument):
    texts = list(catalogue_texts(instrument))
    make_official(texts[0])
    make_official(texts[1])
    remove(texts[2])
    remove(texts[3], language="pt")

    page = alba.get("/en/translations/").content.decode()

    total = len(texts)
    assert counts(page, "Spanish") == [2, total - 3, 1, total]
    assert counts(page, "French") == [0, total, 0, total]
    assert counts(page, "Portuguese") == [0, total - 1, 1, total]
    for language in ("es", "fr", "pt"):
        assert f'href="/en/translations/{language}/"' in page


# --- The language page ----------------------------------------------------------


def test_the_language_page_lists_every_text_beside_its_english(alba, instrument):
    official = text_for(instrument, "theme.corruption.title")
    make_official(official, language="fr", reference="OEA/Ser.K/XXXIX.8")
    missing = text_for(instrument, "recommendation.3.text")
    remove(missing, language="fr")

    response = alba.get("/en/translations/fr/")
    page = response.content.decode()

    for text in catalogue_texts(instrument):
        assert f'href="/en/translations/fr/{text.key}/"' in page
        assert str(text.label) in page
    rows = dict(re.findall(r'<tr id="([^"]+)">(.*?)</tr>', page, flags=re.DOTALL))
    assert '<td lang="en">' in rows["recommendation.1.text"]
    assert '<td lang="fr">' in rows["recommendation.1.text"]
    assert "Working" in rows["recommendation.1.text"]
    assert "Official" in rows["theme.corruption.title"]
    assert "OEA/Ser.K/XXXIX.8" in rows["theme.corruption.title"]
    assert "Missing" in rows["recommendation.3.text"]
    assert '<td lang="fr">' not in rows["recommendation.3.text"]
    assert 'href="/en/translations/fr/export.po"' in page
    assert 'action="/en/translations/fr/import/"' in page
    assert 'enctype="multipart/form-data"' in page


def test_pages_have_no_inline_style_or_script(alba):
    for path in [*GET_PAGES[:3], "/en/translations/es/import/"]:
        page = alba.get(path).content.decode()
        assert "style=" not in page
        assert "<script" not in page
