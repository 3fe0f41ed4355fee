import base64

import pytest
from cryptography.fernet import Fernet

from isp_base.lib.secret_box import (
    TOKEN_PREFIX,
    SecretBox,
    SecretDecryptError,
    SecretKeyMissing,
    generate_key,
    is_encrypted,
)

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def box():
    return SecretBox(generate_key())


@pytest.mark.parametrize(
    "plaintext",
    ["", "admin", "p@ss w0rd!", "পাসওয়ার্ড ১২৩", "x" * 10000, "line1\nline2\t\x00"],
)
def test_round_trip(box, plaintext):
    token = box.encrypt(plaintext)
    assert token.startswith(TOKEN_PREFIX)
    assert is_encrypted(token)
    assert box.decrypt(token) == plaintext


def test_encryption_is_randomised(box):
    assert box.encrypt("same") != box.encrypt("same")


def test_generate_key_is_a_fernet_key():
    key = generate_key()
    assert isinstance(key, str)
    assert len(base64.urlsafe_b64decode(key)) == 32
    assert generate_key() != key
    Fernet(key.encode())  # accepted by cryptography itself


def test_fernet_key_is_used_directly():
    key = generate_key()
    token = SecretBox(key).encrypt("secret")
    assert Fernet(key.encode()).decrypt(token[3:].encode()) == b"secret"


def test_passphrase_derives_a_stable_key():
    token = SecretBox(PASSPHRASE).encrypt("router-pass")
    assert SecretBox(PASSPHRASE).decrypt(token) == "router-pass"
    assert SecretBox(f"  {PASSPHRASE}  ").decrypt(token) == "router-pass"


def test_passphrase_of_exactly_16_characters_is_accepted():
    assert SecretBox("a" * 16).decrypt(SecretBox("a" * 16).encrypt("ok")) == "ok"


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        ("short", "too short (5 characters)"),
        ("a" * 15, "too short (15 characters)"),
        ("", "empty"),
        ("   ", "empty"),
        (f"{PASSPHRASE},,{generate_key()}", "#2 of 3 is empty"),
        (f"{PASSPHRASE},tiny", "#2 is too short"),
    ],
)
def test_bad_keys_raise_value_error_without_leaking(key, fragment):
    with pytest.raises(ValueError) as info:
        SecretBox(key)
    assert fragment in str(info.value)
    assert "tiny" not in str(info.value)
    assert PASSPHRASE not in str(info.value)


def test_non_text_key_is_rejected():
    with pytest.raises(TypeError):
        SecretBox(b"0123456789abcdef0123")


def test_wrong_key_fails(box):
    token = box.encrypt("secret")
    with pytest.raises(SecretDecryptError):
        SecretBox(generate_key()).decrypt(token)
    with pytest.raises(SecretDecryptError):
        SecretBox(PASSPHRASE + "!").decrypt(SecretBox(PASSPHRASE).encrypt("secret"))


def test_tampering_is_detected(box):
    token = box.encrypt("secret")
    body = bytearray(base64.urlsafe_b64decode(token[3:]))
    body[-40] ^= 0x01  # flip one bit of the ciphertext
    tampered = "v1:" + base64.urlsafe_b64encode(bytes(body)).decode()
    with pytest.raises(SecretDecryptError):
        box.decrypt(tampered)
    with pytest.raises(SecretDecryptError):
        box.decrypt(token[:-4])


@pytest.mark.parametrize(
    "token",
    ["", "secret", "v2:abc", "gAAAAAB", "v1:", "v1:not-a-token", "v1:ü", None, 42],
)
def test_malformed_tokens_fail(box, token):
    with pytest.raises(SecretDecryptError):
        box.decrypt(token)


def test_unprefixed_fernet_token_is_refused(box):
    token = box.encrypt("secret")
    with pytest.raises(SecretDecryptError, match="unknown format"):
        box.decrypt(token[3:])


def test_error_messages_never_contain_plaintext_or_key():
    key = generate_key()
    token = SecretBox(key).encrypt("hunter2-router")
    with pytest.raises(SecretDecryptError) as info:
        SecretBox(generate_key()).decrypt(token)
    message = str(info.value)
    assert "hunter2" not in message
    assert key not in message
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


def test_rotation():
    old, new = generate_key(), PASSPHRASE
    old_token = SecretBox(old).encrypt("bras-secret")
    during = SecretBox(f"{new}, {old}")
    assert during.decrypt(old_token) == "bras-secret"
    rotated = during.rotate(old_token)
    assert rotated.startswith("v1:")
    # After rotation only the new key is needed.
    assert SecretBox(new).decrypt(rotated) == "bras-secret"
    with pytest.raises(SecretDecryptError):
        SecretBox(new).decrypt(old_token)
    with pytest.raises(SecretDecryptError):
        SecretBox(old).decrypt(rotated)
    # New secrets are written with the first key.
    assert SecretBox(new).decrypt(during.encrypt("x")) == "x"


def test_rotate_rejects_bad_tokens(box):
    with pytest.raises(SecretDecryptError):
        box.rotate("v1:garbage")
    with pytest.raises(SecretDecryptError):
        box.rotate("plain")
    with pytest.raises(SecretDecryptError):
        box.rotate(SecretBox(generate_key()).encrypt("other key"))


@pytest.mark.parametrize("value", [None, "", "   ", False])
def test_from_config_missing(value):
    with pytest.raises(SecretKeyMissing) as info:
        SecretBox.from_config(value)
    assert str(info.value) == (
        "No secret key configured: set isp_secret_key in the Odoo server configuration "
        "file (see the README)."
    )


def test_from_config_builds_a_box():
    box = SecretBox.from_config(PASSPHRASE)
    assert SecretBox(PASSPHRASE).decrypt(box.encrypt("v")) == "v"


def test_from_config_short_key_is_value_error():
    with pytest.raises(ValueError, match="too short"):
        SecretBox.from_config("tooshort")


def test_encrypt_requires_text(box):
    with pytest.raises(TypeError):
        box.encrypt(b"bytes")


def test_repr_hides_keys():
    assert PASSPHRASE not in repr(SecretBox(PASSPHRASE))


def test_exception_hierarchy():
    assert not issubclass(SecretDecryptError, ValueError)
    assert issubclass(SecretKeyMissing, Exception)
