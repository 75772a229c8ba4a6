"""Unified social credit code (统一社会信用代码), GB 32100-2015."""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Weight of position i (1-based) is 3^(i-1) mod 31.
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
LENGTH = 18

# Full-width ASCII (U+FF01..U+FF5E) maps to U+0021..U+007E; U+3000 is the ideographic space.
_FULL_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


class USCCError(ValueError):
    """A code that is not a valid USCC; `code` says why, for a translated message."""

    def __init__(self, code: str, value: str) -> None:
        super().__init__(f"{code}: {value!r}")
        self.code = code
        self.value = value


def normalise(raw: str) -> str:
    """Trim, map full-width characters to half-width and upper-case; remove inner spaces."""
    return "".join(str(raw).translate(_FULL_WIDTH).split()).upper()


def check_character(body: str) -> str:
    """The 18th character for the first 17."""
    total = sum(_VALUE[ch] * w for ch, w in zip(body, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(raw: str) -> str:
    """Return the normalised code or raise USCCError('length' | 'characters' | 'check')."""
    code = normalise(raw)
    if len(code) != LENGTH:
        raise USCCError("length", code)
    if any(ch not in _VALUE for ch in code):
        raise USCCError("characters", code)
    if check_character(code[:17]) != code[17]:
        raise USCCError("check", code)
    return code


def is_valid(raw: str) -> bool:
    try:
        validate(raw)
    except USCCError:
        return False
    return True


def shape_ok(code: str) -> bool:
    """18 characters of the alphabet, whatever the check character says."""
    return len(code) == LENGTH and all(ch in _VALUE for ch in code)
