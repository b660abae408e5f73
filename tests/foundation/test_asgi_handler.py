"""Pages through the real ASGI application (crmportal/asgi_http.py): one request's sync code
in one thread, threads kept for the next request instead of started anew."""

from __future__ import annotations

import threading

import pytest
from channels.testing import HttpCommunicator
from django.core.signals import request_finished, request_started

from crmportal.asgi import application, django_asgi_app

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


async def get(path: str) -> dict:
    """The response, once the application has finished with the request (closed it)."""
    communicator = HttpCommunicator(application, "GET", path, headers=[(b"host", b"localhost")])
    response = await communicator.get_response(timeout=10)
    await communicator.wait(timeout=10)
    return response


class ThreadsSeen:
    """The thread each request's start and end signals ran in (they run in its sync thread)."""

    def __init__(self):
        self.started: list[threading.Thread] = []
        self.finished: list[threading.Thread] = []

    def __enter__(self):
        request_started.connect(self.on_start)
        request_finished.connect(self.on_finish)
        return self

    def __exit__(self, *exc):
        request_started.disconnect(self.on_start)
        request_finished.disconnect(self.on_finish)

    def on_start(self, **kwargs):
        self.started.append(threading.current_thread())

    def on_finish(self, **kwargs):
        self.finished.append(threading.current_thread())


async def test_it_serves_pages_through_the_pooled_handler():
    response = await get("/login/")
    assert response["status"] == 200
    assert b'name="csrfmiddlewaretoken"' in response["body"]
    headers = {name.lower() for name, _ in response["headers"]}
    assert b"content-security-policy" in headers and b"x-request-id" in headers


async def test_it_keeps_one_request_in_one_thread():
    with ThreadsSeen() as seen:
        assert (await get("/login/"))["status"] == 200
    assert len(seen.started) == 1 and seen.started == seen.finished
    assert seen.started[0] is not threading.main_thread()


async def test_it_reuses_a_kept_thread_for_the_next_request():
    with ThreadsSeen() as seen:
        for _ in range(5):
            assert (await get("/login/"))["status"] == 200
    assert len(set(seen.started)) == 1
    assert seen.started[0].name.startswith("request")


async def test_it_answers_an_unknown_page_with_404_not_a_crash():
    response = await get("/no-such-page/")
    assert response["status"] == 404
    assert django_asgi_app.threads.idle_count() >= 1  # given back after an error answer too
