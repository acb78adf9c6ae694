"""One masking rule for names and phones, whichever app shows them."""

from cim.masking import mask_name, mask_phone
from cim.roles import acting_user, actor_label


def test_mobile_number_keeps_prefix_and_last_four():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone(" 0938-8212345 ") == "093*****2345"


def test_short_numbers_are_hidden_whole():
    # An extension or a short service number: nothing left to show safely.
    assert mask_phone("123456") == "******"
    assert mask_phone("110") == "***"
    assert mask_phone("") == "" and mask_phone(None) == ""


def test_name_keeps_the_first_character():
    assert mask_name("张三丰") == "张**"
    assert mask_name("李") == "李*"
    assert mask_name("") == ""


def test_actor_helpers(db, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    user = django_user_model.objects.create_user("disp", password="x")
    assert acting_user(user) == user and actor_label(user) == "disp"
    assert acting_user(AnonymousUser()) is None
    assert acting_user("simulator") is None and actor_label("simulator") == "simulator"
    assert actor_label(None) == "system"
