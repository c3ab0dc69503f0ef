from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jiceng import cli
from jiceng.accounts.models import User
from jiceng.audit.actions import record
from jiceng.audit.models import AuditEntry


def test_jiceng_command_passes_verbs_to_manage_py(monkeypatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(cli, "_django", seen.append)
    cli.main(["audit", "verify"])
    cli.main(["migrate"])
    assert seen == [["audit", "verify"], ["migrate"]]


def test_audit_verify_command(db: None, capsys) -> None:
    record("test.one", actor=None)
    call_command("audit", "verify")
    assert "audit chain intact: 1 entries checked" in capsys.readouterr().out


def test_createadmin_checks_the_password_policy(db: None, monkeypatch) -> None:
    monkeypatch.setenv("JICENG_ADMIN_PASSWORD", "weak")
    with pytest.raises(CommandError):
        call_command("createadmin", "root2")
    assert not User.objects.filter(username="root2").exists()
    monkeypatch.setenv("JICENG_ADMIN_PASSWORD", "Strong#Admin1")
    call_command("createadmin", "root2", "--full-name", "管理员")
    user = User.objects.get(username="root2")
    assert user.is_superuser and user.check_password("Strong#Admin1")
    assert AuditEntry.objects.filter(action="user.create", object_id=str(user.pk)).exists()


def test_help_lists_the_verbs(capsys) -> None:
    cli.main(["--help"])
    out = capsys.readouterr().out
    for verb in ("serve", "demo", "migrate", "createadmin", "audit verify"):
        assert verb in out
