"""Confluent's error codes: the body is `{"error_code": N, "message": "..."}`."""

from __future__ import annotations


class RegistryError(Exception):
    """Raise from an operation; the HTTP status is the code's first three digits."""

    def __init__(self, error_code: int, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message

    @property
    def status(self) -> int:
        return self.error_code if self.error_code < 1000 else self.error_code // 100

    def body(self) -> dict:
        return {"error_code": self.error_code, "message": self.message}


def subject_not_found(subject: str) -> RegistryError:
    return RegistryError(40401, f"Subject '{subject}' not found.")


def version_not_found(version: object) -> RegistryError:
    return RegistryError(40402, f"Version {version} not found.")


def schema_not_found(detail: str = "Schema not found") -> RegistryError:
    return RegistryError(40403, detail)


def invalid_schema(message: str) -> RegistryError:
    return RegistryError(42201, f"Invalid schema: {message}")


def invalid_version(text: str) -> RegistryError:
    return RegistryError(
        42202,
        f"The specified version '{text}' is not a valid version id. Allowed values are between "
        '[1, 2^31-1] and the string "latest"',
    )


def invalid_level(text: object) -> RegistryError:
    return RegistryError(
        42203,
        f"Invalid compatibility level '{text}'. Valid values are none, backward, forward, full, "
        "backward_transitive, forward_transitive, and full_transitive",
    )


def invalid_mode(text: object) -> RegistryError:
    return RegistryError(
        42204,
        f"Invalid mode '{text}'. Valid values are READWRITE, READONLY, READONLY_OVERRIDE, IMPORT",
    )


def not_permitted(message: str) -> RegistryError:
    return RegistryError(42205, message)


def referenced(subject: str, version: int) -> RegistryError:
    return RegistryError(
        42206,
        "One or more references exist to the schema "
        f"{{magic=1,keytype=SCHEMA,subject={subject},version={version}}}.",
    )


def bad_request(message: str) -> RegistryError:
    return RegistryError(400, message)


def backend(message: str) -> RegistryError:
    return RegistryError(50001, f"Error in the backend data store: {message}")
