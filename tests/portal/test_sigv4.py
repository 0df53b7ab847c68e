"""AWS Signature Version 4 as S3 takes it, checked against AWS's own worked example
("GET Object" in the S3 API reference, sig-v4-header-based-auth)."""

from __future__ import annotations

from datetime import UTC, datetime

from hall.contract.sigv4 import EMPTY_SHA256, Credentials, sign

EXAMPLE = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def test_the_aws_get_object_example() -> None:
    headers = sign(
        EXAMPLE,
        "GET",
        "examplebucket.s3.amazonaws.com",
        "/test.txt",
        headers={"Range": "bytes=0-9"},
        now=datetime(2013, 5, 24, tzinfo=UTC),
    )
    assert headers["authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )
    assert headers["x-amz-date"] == "20130524T000000Z"
    assert headers["x-amz-content-sha256"] == EMPTY_SHA256


def test_the_secret_is_never_in_the_headers_or_the_repr() -> None:
    headers = sign(EXAMPLE, "PUT", "s3.local", "/bucket/ab/abcd", payload_sha256="0" * 64)
    assert not any(EXAMPLE.secret_access_key in value for value in headers.values())
    assert EXAMPLE.secret_access_key not in repr(EXAMPLE)
