"""Names of common weaknesses, exactly as the CWE list writes them.

CSAF wants a CWE's id *and* name (``vulnerabilities[].cwe``), and a CVE record's problem type
reads best as "CWE-89 Improper Neutralization..." No CWE catalogue ships with vulndesk (the CSAF
validator leaves test 6.1.11 out for the same reason), so this table holds the weaknesses
reported most often (the CWE Top 25); for any other id the outputs give the id alone.
"""

from __future__ import annotations

from typing import Final

__all__ = ["CWE_NAMES"]

#: names of common weaknesses exactly as the CWE list writes them (CSAF wants id and name)
CWE_NAMES: Final = {
    "CWE-20": "Improper Input Validation",
    "CWE-22": "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')",
    "CWE-78": "Improper Neutralization of Special Elements used in an OS Command "
    "('OS Command Injection')",
    "CWE-79": "Improper Neutralization of Input During Web Page Generation "
    "('Cross-site Scripting')",
    "CWE-89": "Improper Neutralization of Special Elements used in an SQL Command "
    "('SQL Injection')",
    "CWE-125": "Out-of-bounds Read",
    "CWE-200": "Exposure of Sensitive Information to an Unauthorized Actor",
    "CWE-287": "Improper Authentication",
    "CWE-352": "Cross-Site Request Forgery (CSRF)",
    "CWE-416": "Use After Free",
    "CWE-434": "Unrestricted Upload of File with Dangerous Type",
    "CWE-502": "Deserialization of Untrusted Data",
    "CWE-787": "Out-of-bounds Write",
    "CWE-862": "Missing Authorization",
    "CWE-918": "Server-Side Request Forgery (SSRF)",
}
