"""The settings object refuses values that would reach SQL text unsafely or leak placeholders."""

import pytest
from pydantic import ValidationError

from settings import Settings


@pytest.mark.parametrize("name", ["PRODUCTION; DROP TABLE X", "a.b", "1ABC", ""])
def test_set001_warehouse_schema_and_database_must_be_plain_identifiers(name):
    with pytest.raises(ValidationError):
        Settings(snowflake_schema=name)
    with pytest.raises(ValidationError):
        Settings(snowflake_database=name)


def test_set002_placeholder_secret_refused_for_a_remote_warehouse():
    with pytest.raises(ValidationError):
        Settings(snowflake_account="acme-x1", snowflake_host="acme-x1.snowflakecomputing.com",
                 snowflake_authenticator="password", snowflake_password="changeme")


def test_set003_defaults_point_at_the_local_stack():
    s = Settings(_env_file=None)
    assert s.warehouse_is_local and s.snowflake_schema == "PRODUCTION"
