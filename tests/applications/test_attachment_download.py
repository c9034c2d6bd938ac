"""A stored file that has gone missing is a 404 page for whoever downloads it, never a server error."""
import pytest

from applications import services

from .helpers import pdf_upload

pytestmark = pytest.mark.django_db


def test_a_missing_stored_file_is_a_404(client, cso_user, draft):
    attachment = services.attachment_add(actor=cso_user, application=draft, title="Work plan", uploaded_file=pdf_upload())
    attachment.file.storage.delete(attachment.file.name)
    client.force_login(cso_user)
    response = client.get(f"/applications/{draft.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
