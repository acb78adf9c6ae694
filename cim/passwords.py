"""Password rules beyond Django's own validators."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterKindsValidator:
    """A password mixes at least ``min_kinds`` of: lower-case letters,
    upper-case letters, digits, other characters (等保 2.0 practice)."""

    def __init__(self, min_kinds: int = 3):
        self.min_kinds = min_kinds

    @staticmethod
    def kinds(password: str) -> int:
        return sum((any(c.islower() for c in password), any(c.isupper() for c in password),
                    any(c.isdigit() for c in password), any(not c.isalnum() for c in password)))

    def validate(self, password: str, user=None) -> None:
        if self.kinds(password) < self.min_kinds:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _("密码须包含小写字母、大写字母、数字、其他符号中的至少 %(n)d 种。") % {"n": self.min_kinds}
