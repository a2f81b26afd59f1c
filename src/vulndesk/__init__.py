"""vulndesk: self-hosted vulnerability handling from SBOM to fix."""

__version__ = "0.1.0"
