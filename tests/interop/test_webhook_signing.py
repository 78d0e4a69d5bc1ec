"""Our Standard Webhooks signatures verify with the reference library, and only unchanged."""

import base64
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from backend.interop.webhooks.signing import SECRET_PREFIX, secret_new, signed_headers


def now_ts() -> int:
    return int(datetime.now(UTC).timestamp())


def test_a_new_secret_is_whsec_and_32_random_bytes():
    one, two = secret_new(), secret_new()

    assert one.startswith(SECRET_PREFIX) and two.startswith(SECRET_PREFIX)
    assert len(base64.b64decode(one.removeprefix(SECRET_PREFIX))) == 32
    assert one != two


@given(
    body=st.binary(max_size=2000).map(lambda b: b.hex().encode()),
    msg_id=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=40),
)
def test_signatures_verify_with_the_reference_library(body, msg_id):
    secret = secret_new()
    headers = signed_headers(secret, msg_id=msg_id, timestamp=now_ts(), body=body)

    assert Webhook(secret).verify(body, headers, json_parse=False) is None


def test_the_signature_is_v1_and_base64_of_a_sha256_mac():
    headers = signed_headers(secret_new(), msg_id="msg_1", timestamp=now_ts(), body=b"{}")

    version, mac = headers["webhook-signature"].split(",")
    assert version == "v1"
    assert len(base64.b64decode(mac)) == 32


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b: (h, b + b" "),
        lambda h, b: ({**h, "webhook-id": "msg_other"}, b),
        lambda h, b: ({**h, "webhook-timestamp": str(int(h["webhook-timestamp"]) + 1)}, b),
    ],
    ids=["body", "id", "timestamp"],
)
def test_a_changed_body_id_or_timestamp_fails_verification(tamper):
    secret = secret_new()
    body = b'{"type":"appointment.booked"}'
    headers, body = tamper(
        signed_headers(secret, msg_id="msg_1", timestamp=now_ts(), body=body), body
    )

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


def test_another_secret_fails_verification():
    body = b"{}"
    headers = signed_headers(secret_new(), msg_id="msg_1", timestamp=now_ts(), body=body)

    with pytest.raises(WebhookVerificationError):
        Webhook(secret_new()).verify(body, headers)
