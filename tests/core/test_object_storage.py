"""Uploads in S3-compatible object storage (a real S3 server, moto's, on this machine): stored privately under a
random name, streamed only to whoever may read them."""
import hashlib
import urllib.error
import urllib.request

import boto3
import pytest
from django.core.files.storage import storages
from django.test import override_settings
from moto.server import ThreadedMotoServer

from applications import services

from ..applications.helpers import complete_draft, pdf_upload, rules_call

BUCKET = "csogrants-test"


@pytest.fixture(scope="module")
def s3_server():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_server, settings):
    client = boto3.client("s3", endpoint_url=s3_server, aws_access_key_id="test", aws_secret_access_key="test",
                          region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    options = {"bucket_name": BUCKET, "endpoint_url": s3_server, "access_key": "test", "secret_key": "test",
               "region_name": "us-east-1", "default_acl": None, "file_overwrite": False, "querystring_expire": 60}
    with override_settings(STORAGES={**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}}):
        storages._storages.pop("default", None)
        yield client
    storages._storages.pop("default", None)
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


@pytest.mark.django_db
def test_an_attachment_is_stored_privately_and_streamed_after_the_access_check(
    s3, s3_server, client, programme, organisation, cso_user, other_cso_user
):
    draft = complete_draft(actor=cso_user, call=rules_call(programme), organisation=organisation)
    upload = pdf_upload()
    sent = upload.read()
    upload.seek(0)
    attachment = services.attachment_add(actor=cso_user, application=draft, title="Work plan", uploaded_file=upload)

    [stored] = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert stored["Key"] == attachment.file.name and stored["Key"].endswith(".pdf") and "Work" not in stored["Key"]
    assert hashlib.sha256(s3.get_object(Bucket=BUCKET, Key=stored["Key"])["Body"].read()).digest() == hashlib.sha256(sent).digest()
    with pytest.raises(urllib.error.HTTPError) as refused:  # no public read on the object
        urllib.request.urlopen(f"{s3_server}/{BUCKET}/{stored['Key']}")
    assert refused.value.code == 403

    url = f"/applications/{draft.pk}/attachments/{attachment.pk}/"
    client.force_login(other_cso_user)
    assert client.get(url).status_code == 404
    client.force_login(cso_user)
    response = client.get(url)
    assert response.status_code == 200 and response.getvalue() == sent
    assert response["Cache-Control"] == "private, no-store" and response["Content-Disposition"].startswith("attachment;")
