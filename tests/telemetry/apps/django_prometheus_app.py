"""A one-file Django project instrumented with django-prometheus, as its README sets it up (gunicorn)."""

import time

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse, JsonResponse
from django.urls import include, path

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    SECRET_KEY="test-only",
    INSTALLED_APPS=["django_prometheus"],
    MIDDLEWARE=[
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    ],
    DATABASES={},
)


def item(request, item_id: int):
    time.sleep(0.02)
    return JsonResponse({"id": item_id})


def missing(request):
    return HttpResponse("no", status=404)


def boom(request):
    return HttpResponse("boom", status=500)


urlpatterns = [
    path("items/<int:item_id>", item, name="item"),
    path("missing", missing, name="missing"),
    path("boom", boom, name="boom"),
    path("", include("django_prometheus.urls")),
]

application = get_wsgi_application()
