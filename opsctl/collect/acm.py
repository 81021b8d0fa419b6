"""ACM: certificates with their expiry, status and use.

ListCertificates (paginated, with every key algorithm included: by default AWS lists only
RSA_1024/RSA_2048 certificates, hiding ECDSA ones), then per certificate DescribeCertificate
and ListTagsForCertificate.

Resource type `acm.certificate` (regional):

- arn, id (the ARN's final part), region
- name, domain_name — the certificate's primary domain
- status — ISSUED | PENDING_VALIDATION | EXPIRED | INACTIVE | REVOKED | FAILED | VALIDATION_TIMED_OUT
- certificate_type — AMAZON_ISSUED | IMPORTED | PRIVATE (the API's "Type"; "type" is reserved
  by the collection runner)
- not_after — expiry, ISO 8601 (None while pending validation)
- in_use_by — ARNs of the resources using it (load balancers, distributions …), sorted
- renewal_eligibility — ELIGIBLE | INELIGIBLE (imported certificates never renew themselves)
- key_algorithm — RSA_2048, EC_prime256v1, …
- tags — {key: value}
"""

from __future__ import annotations

from typing import Any

from opsctl.collect._details import iso, tag_dict
from opsctl.collect.runner import CollectContext, collector

CERTIFICATE = "acm.certificate"
#: Every ListCertificates key type (botocore's enum); without them ECDSA/large-RSA certificates are hidden.
KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]
DETAIL_FIELDS = (
    "status",
    "certificate_type",
    "not_after",
    "in_use_by",
    "renewal_eligibility",
    "key_algorithm",
)


def apply_detail(cert: dict[str, Any], detail: dict[str, Any]) -> None:
    cert.update(
        {
            "domain_name": detail.get("DomainName", cert["domain_name"]),
            "status": detail.get("Status"),
            "certificate_type": detail.get("Type"),
            "not_after": iso(detail.get("NotAfter")),
            "in_use_by": sorted(detail.get("InUseBy") or []),
            "renewal_eligibility": detail.get("RenewalEligibility"),
            "key_algorithm": detail.get("KeyAlgorithm"),
        }
    )


def fill_certificate(ctx: CollectContext, region: str, cert: dict[str, Any]) -> None:
    detail = ctx.fill_many(cert, DETAIL_FIELDS, "acm", region, "describe_certificate", {"CertificateArn": cert["arn"]}
    )
    if detail is not None:
        apply_detail(cert, detail["Certificate"])
    ctx.fill(
        cert,
        "tags",
        "acm",
        region,
        "list_tags_for_certificate",
        {"CertificateArn": cert["arn"]},
        extract=lambda r: tag_dict(r.get("Tags")),
    )


@collector("acm", types=(CERTIFICATE,))
def collect_certificates(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    listed = ctx.paginate(
        "acm",
        region,
        "list_certificates",
        "CertificateSummaryList",
        {"Includes": {"keyTypes": KEY_TYPES}},
        resource_type=CERTIFICATE,
    )
    if listed is None:
        return {}
    certs = [
        {
            "type": CERTIFICATE,
            "arn": c["CertificateArn"],
            "id": c["CertificateArn"].rsplit("/", 1)[-1],
            "region": region,
            "name": c.get("DomainName"),
            "domain_name": c.get("DomainName"),
        }
        for c in listed
    ]
    ctx.map(lambda c: fill_certificate(ctx, region, c), certs)
    return {CERTIFICATE: certs}
