"""The one exception for domain failures: a message for people and a code for machines."""


class DomainError(Exception):
    """Raised by services when a business rule refuses an action.

    Pages show `message`; the API answers 400 with `code`. Never used for programming errors.
    """

    def __init__(self, message: str, code: str = "invalid", field: str | None = None, reasons: list | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        # For a refusal by the contact gate: each rule's {"code", "message"}, so machines see which.
        self.reasons = reasons or []

    def __str__(self):
        return self.message
