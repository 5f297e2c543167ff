class DomainError(Exception):
    """A refusal the user can act on. `message` is already translated (or lazily translatable)."""

    def __init__(self, message, *, code: str = "invalid", field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.field = field


class NotFound(DomainError):
    """Both "does not exist" and "not yours": callers must not be able to tell them apart."""

    def __init__(self, message="") -> None:
        super().__init__(message, code="not_found")
