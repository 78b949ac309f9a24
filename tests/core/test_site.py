import pytest

pytestmark = pytest.mark.django_db


def test_language_switcher_keeps_the_page(client):
    response = client.post(
        "/i18n/setlang/", {"language": "es", "next": "/en/recommendations/5/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/es/recommendations/5/"
    html = client.get(response["Location"]).content.decode()
    assert '<html lang="es">' in html


def test_home_introduces_the_portal(client):
    html = client.get("/en/").content.decode()
    assert "22 priorities" in html
    assert "32 participating member states" in html
    assert "Eighth Meeting of National Authorities" in html


def test_pages_have_landmarks_and_one_stylesheet(client):
    html = client.get("/en/recommendations/").content.decode()
    for landmark in ("<header", "<nav", "<main", "<footer", 'class="skip-link"'):
        assert landmark in html
    assert "style=" not in html and "<script" not in html
    assert html.count('rel="stylesheet"') == 1


def test_secretariat_admin_edits_the_catalogue_in_the_admin(client, secretariat_admin):
    client.force_login(secretariat_admin)
    assert client.get("/en/admin/").status_code == 200
    response = client.get("/en/admin/recommendations/recommendation/")
    assert (
        response.status_code == 200
        and "22 recommendations" in response.content.decode()
    )
    assert client.get("/en/admin/recommendations/memberstate/").status_code == 200
    assert client.get("/en/admin/portal/user/").status_code == 200


@pytest.mark.parametrize("who", ["focal_mex", "reviewer"])
def test_others_cannot_open_the_admin(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get("/en/admin/recommendations/recommendation/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
