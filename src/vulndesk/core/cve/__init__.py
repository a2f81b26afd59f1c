"""CVE records as a CNA publishes them: the model and builder, the linter, the CVE Services client.

- :mod:`vulndesk.core.cve.record`: frozen dataclasses for what a CNA states about a vulnerability
  (:class:`~vulndesk.core.cve.record.CnaRecord`), the builder of the CNA container and of a full
  CVE JSON 5.1 record, and the reader of published records back into the dataclasses;
- :mod:`vulndesk.core.cve.lint`: the CNA rules and the schema's shape, checked before publishing;
- :mod:`vulndesk.core.cve.services`: the CVE Services API (reserve, publish, update, reject, quota).

The facts come from the CVE Record Format 5.1 schema and the CNA rules (reference/disclosure.md,
"CVE records and CVE Services").
"""
