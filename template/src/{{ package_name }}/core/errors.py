"""The one exception that means "the input is wrong", as opposed to "something broke"."""


class BadInput(ValueError):
    """Raised for input that can never succeed: the command line exits 2 with its message."""
