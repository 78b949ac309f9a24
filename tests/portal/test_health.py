import pytest


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_readyz_is_503_when_the_broker_is_down(client, settings):
    from kombu import pools

    from portal.celery import app

    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app.pool.force_close_all()
    app._pool = None
    try:
        response = client.get("/readyz")
    finally:
        app.conf.broker_url = previous
        app._pool = None
        # The pool closed above may be the one eager tasks used before: kombu keeps
        # it, closed, for that broker; drop every pool so the next task opens anew.
        pools.reset()
        app.__dict__.pop("amqp", None)
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")
    assert response.json()["database"] == "ok"
