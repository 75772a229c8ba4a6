"""Bank account numbers as the treasury takes them (no Django imports).

A mainland account number is digits only: personal cards have 16 to 19, settlement accounts
of firms anything from about 9 (some city and rural banks) to 25 and more, by bank. We accept
8 to 32 digits and nothing else; people write them in groups, so spaces and hyphens between
the digits (half- or full-width) are dropped first. The bank itself is the real check.
"""

MIN_DIGITS = 8
MAX_DIGITS = 32

_FULL_WIDTH = str.maketrans("０１２３４５６７８９－　", "0123456789- ")


class BankAccountError(ValueError):
    """`code` is "digits" (something other than digits) or "length"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def normalise(text: str) -> str:
    """The account without the spaces and hyphens people group its digits with."""
    return "".join(text.translate(_FULL_WIDTH).replace("-", " ").split())


def validate(text: str) -> str:
    """The normalised account number, or BankAccountError."""
    account = normalise(text)
    if not account.isascii() or not account.isdigit():
        raise BankAccountError("digits")
    if not MIN_DIGITS <= len(account) <= MAX_DIGITS:
        raise BankAccountError("length")
    return account
