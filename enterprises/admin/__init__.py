"""Staff admin of the enterprises app, registered by topic."""

from enterprises.admin import registry, service_desk

__all__ = ["registry", "service_desk"]
