from installer.validate.password import check


def test_empty_and_common_passwords_are_weak():
    assert check("").score == 0
    assert check("password1").weak and "common" in check("password1").describe()
    assert check("Password123").weak


def test_short_repetitive_and_sequential_are_weak():
    assert check("aB3$").weak
    assert check("aaaaaaaaaaaa").weak
    assert check("abcdefgh").weak and check("12345678").weak


def test_user_name_inside_the_password_is_weak():
    assert check("alice-Secret-2024", "alice").weak
    assert not check("alice-Secret-2024", "bob").weak


def test_long_mixed_passwords_are_strong():
    q = check("Correct-Horse-7-Battery")
    assert not q.weak and q.score >= 4 and q.label in ("Good", "Strong")
    assert check("correct horse battery staple").score >= 3  # a long passphrase without symbols is fine


def test_score_grows_with_length():
    assert check("Xy7#abcQ").score < check("Xy7#abcQrsTu9!vw").score
