"""Error pages in the site's style, with a way back (DEBUG is off under pytest-django)."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.views import defaults

pytestmark = pytest.mark.django_db


def test_unknown_address_is_a_styled_404_with_navigation(promoter_client):
    response = promoter_client.get("/no-such-page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    assert 'class="topbar"' in page
    assert reverse("accounts:home") in page


def test_other_roles_page_is_a_styled_403_with_navigation(promoter_client):
    response = promoter_client.get(reverse("billing:overview"))

    assert response.status_code == 403
    page = response.content.decode()
    assert "You cannot open this page" in page
    assert reverse("campaigns:marketplace") in page  # the promoter's own menu


def test_server_error_page_renders_without_a_request_context():
    response = defaults.server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert 'class="topbar"' in page


def test_csrf_failure_is_a_styled_page(promoter, client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(promoter)
    response = strict.post(reverse("accounts:sign_out"))

    assert response.status_code == 403
    assert "Please try again" in response.content.decode()
