import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.lib import uscc


@pytest.mark.parametrize("code", ["91110108551385082Q", "914403001922038216"])
def test_published_codes_pass(code):
    assert uscc.validate(code) == code


def test_normalises_lower_case_padding_and_full_width():
    assert uscc.validate("  91110108551385082q ") == "91110108551385082Q"
    assert uscc.validate("９１１１０１０８５５１３８５０８２Ｑ") == "91110108551385082Q"
    assert uscc.validate("\u30009111 0108 5513 8508 2Q\t") == "91110108551385082Q"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("9111010855138508", "length"),
        ("91110108551385082QQ", "length"),
        ("9111010855138508IQ", "characters"),
        ("91110108551385082O", "characters"),
        ("91110108551385082R", "check"),
    ],
)
def test_bad_codes_say_why(raw, reason):
    with pytest.raises(uscc.USCCError) as info:
        uscc.validate(raw)
    assert info.value.code == reason


bodies = st.text(alphabet=uscc.ALPHABET, min_size=17, max_size=17)


@given(bodies)
def test_every_generated_code_passes(body):
    assert uscc.is_valid(body + uscc.check_character(body))


@given(bodies, st.integers(min_value=0, max_value=17), st.sampled_from(uscc.ALPHABET))
def test_every_single_character_change_fails(body, position, replacement):
    code = body + uscc.check_character(body)
    if code[position] == replacement:
        replacement = uscc.ALPHABET[(uscc.ALPHABET.index(replacement) + 1) % len(uscc.ALPHABET)]
    changed = code[:position] + replacement + code[position + 1 :]
    assert not uscc.is_valid(changed)
