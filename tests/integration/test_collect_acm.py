"""ACM collector against moto: imported (ECDSA) and requested certificates, expiry, use, tags."""

from __future__ import annotations

import datetime as dt

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CERTIFICATE = "acm.certificate"


def self_signed(domain: str, days: int) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), pem_key


def test_certificate_fields(collect_services):
    acm = boto3.client("acm", region_name="us-east-1")
    cert, key = self_signed("admin.shop.example.com", 10)
    imported = acm.import_certificate(
        Certificate=cert, PrivateKey=key, Tags=[{"Key": "tier", "Value": "edge"}]
    )["CertificateArn"]
    requested = acm.request_certificate(DomainName="shop.example.com", ValidationMethod="DNS")[
        "CertificateArn"
    ]
    elb = boto3.client("elb", region_name="us-east-1")  # a listener puts the certificate "in use"
    elb.create_load_balancer(
        LoadBalancerName="legacy-admin",
        AvailabilityZones=["us-east-1a"],
        Listeners=[
            {"Protocol": "HTTPS", "LoadBalancerPort": 443, "InstancePort": 8080, "SSLCertificateId": imported}
        ],
    )

    snap = collect_services(["acm"])

    assert snap.collected[CERTIFICATE] == ["us-east-1"] and not snap.coverage
    certs = {c["arn"]: c for c in snap.of_type(CERTIFICATE)}
    c = certs[imported]  # ECDSA: listed only because every key type is requested
    assert c["region"] == "us-east-1" and c["id"] == imported.rsplit("/", 1)[-1]
    assert c["domain_name"] == c["name"] == "admin.shop.example.com"
    assert (c["status"], c["certificate_type"], c["key_algorithm"]) == ("ISSUED", "IMPORTED", "EC_prime256v1")
    days_left = (dt.datetime.fromisoformat(c["not_after"]) - dt.datetime.now(dt.timezone.utc)).days
    assert 8 <= days_left <= 10
    assert c["in_use_by"] and c["renewal_eligibility"] == "INELIGIBLE" and c["tags"] == {"tier": "edge"}
    r = certs[requested]
    assert (
        r["certificate_type"] == "AMAZON_ISSUED"
        and r["status"] == "PENDING_VALIDATION"
        and r["in_use_by"] == []
    )
    assert r["tags"] == {}
