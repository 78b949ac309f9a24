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


@pytest.mark.redis
@pytest.mark.django_db
def test_readyz_checks_a_redis_broker(client):
    from tests.celery_support import celery_using
    from tests.environment import REDIS_URL

    with celery_using(REDIS_URL) as app:
        with app.connection_for_write() as connection:
            assert connection.transport.driver_type == "redis"
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_readyz_follows_a_redis_broker_that_stops_and_starts(client, own_redis):
    from tests.celery_support import celery_using

    with celery_using(own_redis.url):
        up = client.get("/readyz")
        own_redis.stop()
        down = client.get("/readyz")
        own_redis.start()
        again = client.get("/readyz")
    assert (up.status_code, up.json()["broker"]) == (200, "ok")
    assert down.status_code == 503 and down.json()["broker"].startswith("error")
    assert (again.status_code, again.json()["broker"]) == (200, "ok")
