"""Domain errors: a rule refused an operation. Services raise them; views turn them into messages."""


class DomainError(Exception):
    """A business rule refused the operation; nothing was changed. `message` is safe to show to the user."""

    def __init__(self, message, *, code=None, field=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self):
        return str(self.message)
