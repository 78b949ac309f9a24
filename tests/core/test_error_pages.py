"""The pages a person meets when something is wrong: in their language, with a way
on, and a clear refusal (never a server error) for an address holding a NUL."""

import html
import re

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from django.views.defaults import server_error

from recommendations.models import ProgressUpdate

pytestmark = pytest.mark.django_db


def main_text(response) -> str:
    """The words of the page's main region, as a reader sees them."""
    main = re.search(r"<main\b.*?</main>", response.content.decode(), re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main.group())).split())


@pytest.fixture
def client_no_raise(client) -> Client:
    client.raise_request_exception = False
    return client


# --- A NUL character in the address ----------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        # Each of these reached PostgreSQL, which refuses NUL: a server error.
        "/es/status/?cycle=a%00b",
        "/es/states/MEX/?cycle=a%00b",
        "/es/states/ME%00X/",
        "/es/status/map/?cycle=%00",
        # Each of these had its own refusal, or none; now one for all.
        "/es/search/?q=trata%00",
        "/es/states/?q=%00",
        "/es/accounts/login/?next=/es/%00",
    ],
)
def test_an_address_with_a_nul_is_refused_in_the_readers_language(
    client_no_raise, cycle, address
):
    response = client_no_raise.get(address)

    assert response.status_code == 400
    text = main_text(response)
    assert "No se pudo leer la solicitud" in text
    assert "no se modificó nada" in text
    assert 'lang="es"' in response.content.decode()
    assert "Content-Security-Policy" in response.headers


def test_a_signed_in_reader_gets_the_same_refusal_with_their_menu(
    client_no_raise, focal_mex, cycle
):
    client_no_raise.force_login(focal_mex)

    response = client_no_raise.get("/en/workspace/ME%00X/")

    assert response.status_code == 400
    assert "Sign out (maria)" in response.content.decode()


def test_the_api_answers_a_nul_in_its_own_format(api_settings, api, focal_mex, cycle):
    response = api(focal_mex).get("/api/v1/progress-updates/?cycle=a%00b")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "cycle": ["Null characters are not allowed."]
    }


def test_a_nul_typed_in_a_form_is_refused_on_its_field_and_saves_nothing(
    client, focal_mex, mex_draft
):
    client.force_login(focal_mex)
    before = mex_draft.summary

    response = client.post(
        f"/en/updates/{mex_draft.pk}/edit/",
        {"summary": "Shelters\x00 opened", "version": mex_draft.version},
    )

    assert response.status_code == 200
    assert "Null characters are not allowed." in main_text(response)
    assert ProgressUpdate.objects.get(pk=mex_draft.pk).summary == before


def test_an_ordinary_percent_sign_in_a_search_is_not_a_nul(client, cycle):
    assert client.get("/en/search/?q=100%2500").status_code == 200


# --- Not found, forbidden, server error, a refused form ------------------------------


def test_a_page_not_found_speaks_the_readers_language_and_offers_a_way_on(client):
    response = client.get("/fr/states/ZZZ/")

    assert response.status_code == 404
    text = main_text(response)
    assert "Page introuvable" in text
    assert "aucune page à cette adresse" in text
    assert "Not Found" not in response.content.decode()
    assert 'href="/fr/status/"' in response.content.decode()
    assert 'href="/fr/search/"' in response.content.decode()


def test_a_forbidden_page_says_whom_to_ask(client, focal_mex, cycle):
    client.force_login(focal_mex)

    response = client.get("/pt/review/")

    assert response.status_code == 403
    text = main_text(response)
    assert "Você não pode abrir esta página" in text
    assert "Secretaria da OEA" in text


def test_a_server_error_page_is_translated_and_reads_no_database(
    django_assert_num_queries,
):
    request = RequestFactory().get("/es/status/")
    with translation.override("es"), django_assert_num_queries(0):
        response = server_error(request)

    page = response.content.decode()
    assert response.status_code == 500
    assert 'lang="es"' in page
    assert "Algo falló de nuestro lado" in page
    assert "lo que guardó antes se conserva" in page


def test_a_form_refused_for_its_missing_token_says_what_to_do(focal_mex):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post("/es/accounts/login/", {"username": "maria"})

    page = response.content.decode()
    assert response.status_code == 403
    assert "No se pudo enviar el formulario" in page
    assert "recargue la página" in page
    assert "CSRF" not in page


def test_a_form_sent_over_https_without_a_referer_says_to_allow_it(focal_mex):
    browser = Client(enforce_csrf_checks=True)
    form = browser.get("/fr/accounts/login/", secure=True)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)

    response = browser.post(
        "/fr/accounts/login/",
        {"username": "maria", "csrfmiddlewaretoken": token.group(1)},
        secure=True,
    )

    assert response.status_code == 403
    assert "« Referer »" in response.content.decode()
