"""A small, hand-written valid CSAF 2.0 security advisory that tests mutate."""

from __future__ import annotations

from typing import Any

import pytest


def _advisory() -> dict[str, Any]:
    return {
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "distribution": {"tlp": {"label": "WHITE"}},
            "lang": "en",
            "notes": [{"category": "summary", "text": "A buffer overflow in Example Router."}],
            "publisher": {
                "category": "vendor",
                "name": "Example PSIRT",
                "namespace": "https://psirt.example.com",
            },
            "references": [
                {"category": "self", "summary": "This advisory", "url": "https://x.example/1"}
            ],
            "title": "Buffer overflow in Example Router",
            "tracking": {
                "current_release_date": "2024-02-01T10:00:00Z",
                "id": "EX-2024-001",
                "initial_release_date": "2024-01-15T10:00:00Z",
                "revision_history": [
                    {"date": "2024-01-15T10:00:00Z", "number": "1", "summary": "Initial."},
                    {"date": "2024-02-01T10:00:00Z", "number": "2", "summary": "Fix listed."},
                ],
                "status": "final",
                "version": "2",
            },
        },
        "product_tree": {
            "branches": [
                {
                    "category": "vendor",
                    "name": "Example",
                    "branches": [
                        {
                            "category": "product_name",
                            "name": "Router",
                            "branches": [
                                {
                                    "category": "product_version",
                                    "name": "1.0",
                                    "product": {"name": "Example Router 1.0", "product_id": "R1"},
                                },
                                {
                                    "category": "product_version",
                                    "name": "2.0",
                                    "product": {
                                        "name": "Example Router 2.0",
                                        "product_id": "R2",
                                        "product_identification_helper": {
                                            "purl": "pkg:generic/example/router@2.0"
                                        },
                                    },
                                },
                            ],
                        }
                    ],
                }
            ],
            "full_product_names": [{"name": "Example Switch 3", "product_id": "S3"}],
            "product_groups": [{"group_id": "G1", "product_ids": ["R1", "S3"]}],
        },
        "vulnerabilities": [
            {
                "cve": "CVE-2024-0001",
                "notes": [{"category": "description", "text": "Overflow in the web UI."}],
                "product_status": {"known_affected": ["R1", "S3"], "fixed": ["R2"]},
                "remediations": [
                    {"category": "vendor_fix", "details": "Upgrade to 2.0.", "group_ids": ["G1"]}
                ],
                "scores": [
                    {
                        "products": ["R1", "S3"],
                        "cvss_v3": {
                            "version": "3.1",
                            "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                            "baseScore": 9.8,
                            "baseSeverity": "CRITICAL",
                            "attackVector": "NETWORK",
                        },
                    }
                ],
            }
        ],
    }


@pytest.fixture
def advisory() -> dict[str, Any]:
    """Return a fresh valid ``csaf_security_advisory`` document."""
    return _advisory()
