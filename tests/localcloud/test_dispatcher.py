"""moto's dispatcher as the local cloud wraps it: a service's app built ahead never holds up another's requests."""

import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from kfsm_lab.localcloud.server import _dispatcher

_S3_REQUEST = {"PATH_INFO": "/", "REQUEST_METHOD": "GET", "HTTP_HOST": "127.0.0.1",
               "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLEKEY000001/20261201/us-west-2/s3/"
                                     "aws4_request, SignedHeaders=host, Signature=0"}


def test_an_app_being_built_ahead_does_not_hold_up_another_services_request():
    building, release = threading.Event(), threading.Event()

    def create_app(service):
        if service == "iam":  # as slow as it likes: its modules import (~0.3 s in a cold cloud)
            building.set()
            assert release.wait(30)
        return create_backend_app(service)

    dispatcher = _dispatcher(DomainDispatcherApplication)(create_app)
    warming = threading.Thread(target=dispatcher.warm, args=("iam",))
    warming.start()
    try:
        assert building.wait(30)
        got = {}
        asking = threading.Thread(target=lambda: got.setdefault("app", dispatcher.get_application(dict(_S3_REQUEST))))
        asking.start()
        asking.join(10)
        assert "app" in got, "an S3 request waited for IAM's app to be built"
        assert dispatcher.app_instances["s3"] is got["app"]
    finally:
        release.set()
        warming.join(30)
    iam = dispatcher.app_instances["iam"]
    dispatcher.warm("iam")  # built once: warming again changes nothing
    assert dispatcher.app_instances["iam"] is iam


def test_a_body_read_for_the_door_reaches_moto_without_another_copy():
    """The door reads the request body once; werkzeug then hands moto that very bytes object (a LimitedStream
    around it copied it 64 KB at a time: 12 ms per 11 MB PutObject)."""
    import io

    from flask import Request

    from kfsm_lab.localcloud.server import _body

    payload = b"x" * (3 * 1024 * 1024 + 7)
    environ = {"REQUEST_METHOD": "PUT", "PATH_INFO": "/b/k", "CONTENT_LENGTH": str(len(payload)),
               "wsgi.input": io.BytesIO(payload + b"next request's bytes")}
    body = _body(environ)
    assert body == payload
    assert Request(environ).get_data() is body
    assert _body(environ) is body  # read once
