"""Rotating the data key: everything re-encrypted, blind indexes recomputed, lookups keep working."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from jiceng.core.crypto import DecryptionError, decrypt, key_id
from jiceng.core.validators import make_id_number
from jiceng.registry import actions, queries
from jiceng.registry.models import Person
from tests.conftest import Org

pytestmark = pytest.mark.django_db
ID = make_id_number("330199", date(1975, 3, 2), "040")


def raw(column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM registry_person")  # noqa: S608
        return str(cursor.fetchone()[0])


def test_rotation_reencrypts_and_reindexes(org: Org) -> None:
    officer = org.user("a", "safety_officer")
    with override_settings(DATA_KEY="old-key-0123456789", DATA_KEY_PREVIOUS=[]):
        person = actions.create(
            org.user("a", "grid_worker"),
            "person",
            {"name": "李四", "id_number": ID, "phone": "13912345678", "region": org.regions["grid_a"].code},
        )
        actions.add_special_group(officer, person, "drug", {"control": "01"})  # type: ignore[arg-type]
        old_cipher = raw("id_number")
        assert old_cipher.startswith(f"v2:{key_id('old-key-0123456789')}:")

    with override_settings(DATA_KEY="new-key-9876543210", DATA_KEY_PREVIOUS=["old-key-0123456789"]):
        # Before rotation: values still decrypt, but lookups by blind index miss under the new key.
        assert Person.objects.get().id_number == ID
        assert not queries.records(officer, "person", q=ID).exists()
        call_command("rotate_data_key", stdout=open("/dev/null", "w"))  # noqa: SIM115
        call_command("rotate_data_key", stdout=open("/dev/null", "w"))  # noqa: SIM115 - idempotent

    with override_settings(DATA_KEY="new-key-9876543210", DATA_KEY_PREVIOUS=[]):
        assert raw("id_number").startswith(f"v2:{key_id('new-key-9876543210')}:")
        with pytest.raises(DecryptionError), override_settings(DATA_KEY="old-key-0123456789"):
            decrypt(raw("id_number"))
        person = Person.objects.get()
        assert (person.id_number, person.phone) == (ID, "13912345678")
        assert list(queries.records(officer, "person", q=ID)) == [person]
        assert list(queries.records(officer, "person", q="13912345678")) == [person]
        assert queries.records(officer, "person", group="drug").count() == 1


def test_rotation_reindexes_the_numbers_sms_went_to() -> None:
    from jiceng.core.crypto import blind_index
    from jiceng.notifications.actions import send_sms
    from jiceng.notifications.models import SmsMessage

    with override_settings(DATA_KEY="old-key-0123456789", DATA_KEY_PREVIOUS=[]):
        send_sms("13912345678", "【基层】您反映的问题已办结")
    with override_settings(DATA_KEY="new-key-9876543210", DATA_KEY_PREVIOUS=["old-key-0123456789"]):
        assert not SmsMessage.objects.filter(phone_index=blind_index("13912345678")).exists()
        call_command("rotate_data_key", stdout=open("/dev/null", "w"))  # noqa: SIM115
    with override_settings(DATA_KEY="new-key-9876543210", DATA_KEY_PREVIOUS=[]):
        message = SmsMessage.objects.get(phone_index=blind_index("13912345678"))
        assert (message.phone, message.phone_masked) == ("13912345678", "139****5678")
