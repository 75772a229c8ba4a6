"""A column of an official list names a field of the model itself and knows its export path
from its declaration; a mistake there stops the resource, not the first export."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured

from common.importing.columns import Column, Reference, Text


def test_export_path_is_the_attribute():
    assert Column("名称", "name", Text()).export_path == "name"


def test_export_path_of_a_reference_follows_it_to_the_natural_key():
    column = Column("类型", "content_type", Reference(ContentType, "model"))
    assert column.export_path == "content_type__model"


def test_a_column_read_by_people_only_must_name_its_export_path():
    with pytest.raises(ImproperlyConfigured, match="企业名称"):
        Column("企业名称", None, Text(max_length=200))
    named = Column("企业名称", None, Text(max_length=200), export_path="enterprise__name")
    assert named.export_path == "enterprise__name"


def test_a_column_binds_to_a_field_of_the_model_itself():
    parser = Text()
    column = Column("名称", "name", parser)
    column.bind(Group)
    assert (column.attname, parser.max_length) == ("name", 150)
    reference = Column("类型", "content_type", Reference(ContentType, "model"))
    reference.bind(Permission)
    assert reference.attname == "content_type_id"


def test_a_column_on_a_reverse_relation_is_refused():
    # Group has no `user` field of its own: `user` is the reverse side of User.groups.
    with pytest.raises(ImproperlyConfigured, match="Group.user"):
        Column("用户", "user", Text()).bind(Group)


@pytest.mark.parametrize("text", ["1_000", "1e3", "１０００", "NaN", "+-1", "1.2.3"])
def test_every_number_parser_refuses_what_python_reads_but_a_list_never_means(text):
    from common.importing.columns import CellError, Integer, WanAmount
    from common.lib import money
    from incubators.resources import Area
    from loans.resources import Percent

    with pytest.raises(money.AmountError):
        money.wan_to_yuan(text)
    for parser in (Integer(), WanAmount(), Area(), Percent()):
        with pytest.raises(CellError):
            parser.parse(text)


def test_a_number_with_an_underscore_is_named_as_such():
    from common.importing import messages as msg
    from common.importing.columns import CellError, Integer, WanAmount

    for parser in (Integer(), WanAmount()):
        with pytest.raises(CellError, match=msg.UNDERSCORE):
            parser.parse("1_000")


@pytest.mark.parametrize(("text", "yuan"), [("1,000", "10000000.00"), ("65.37", "653700.00"),
                                            ("-2", "-20000.00"), (".5", "5000.00")])  # fmt: skip
def test_plain_numbers_still_read(text, yuan):
    from decimal import Decimal

    from common.lib import money

    assert money.wan_to_yuan(text) == Decimal(yuan)
