"""The full-text index on ``search_text``, one per registry table, created by migration operations.

PostgreSQL: a stored generated column ``search_vector`` (``to_tsvector('simple', search_text)``) with a GIN
index (``StoredSearchVector``; before it, ``FullTextIndex`` indexed the expression). A match is checked on
the stored vector: rechecking a row that way needs no parsing, which a broad query (a surname) does for
every row it walks. The column is not a model field: Django never writes it. SQLite: an external-content
FTS5 table ``<table>_fts`` kept current by triggers. Both split on whitespace; jieba did the Chinese word
cutting. SQLite drops the triggers when Django remakes a table (an AlterField): add a ``FullTextIndex``
again after one. On PostgreSQL, changing ``search_text``'s type needs the column dropped first.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


# Table names come from the migration, never from users.
def _sqlite_forwards(table: str) -> list[str]:
    fts = f"{table}_fts"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} "
        f"USING fts5(search_text, content='{table}', content_rowid='id')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "  # noqa: S608
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "  # noqa: S608
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF search_text ON {table} BEGIN "  # noqa: S608
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",  # noqa: S608
    ]


def _sqlite_backwards(table: str) -> list[str]:
    fts = f"{table}_fts"
    return [f"DROP TRIGGER IF EXISTS {fts}_{t}" for t in ("ai", "ad", "au")] + [f"DROP TABLE IF EXISTS {fts}"]


class _TableOperation(migrations.operations.base.Operation):
    """SQL on one table that Django's model state does not see."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, table: str) -> None:
        self.table = table

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.table], {})

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def _run(self, schema_editor: Any, statements: list[str]) -> None:
        for sql in statements:
            schema_editor.execute(sql)


class FullTextIndex(_TableOperation):
    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "sqlite":
            self._run(schema_editor, _sqlite_forwards(self.table))
        elif vendor == "postgresql":
            self._run(
                schema_editor,
                [
                    f"CREATE INDEX IF NOT EXISTS {self.table}_fts ON {self.table} "
                    f"USING gin (to_tsvector('simple', search_text))"
                ],
            )

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "sqlite":
            self._run(schema_editor, _sqlite_backwards(self.table))
        elif vendor == "postgresql":
            self._run(schema_editor, [f"DROP INDEX IF EXISTS {self.table}_fts"])

    def describe(self) -> str:
        return f"Full-text index on {self.table}.search_text"


class StoredSearchVector(_TableOperation):
    """PostgreSQL: ``search_vector`` stored and GIN-indexed, in place of the expression index."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        t = self.table
        self._run(
            schema_editor,
            [
                f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS search_vector tsvector "
                f"GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED",
                f"CREATE INDEX IF NOT EXISTS {t}_search_vector ON {t} USING gin (search_vector)",
                f"DROP INDEX IF EXISTS {t}_fts",
            ],
        )

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        t = self.table
        self._run(
            schema_editor,
            [
                f"CREATE INDEX IF NOT EXISTS {t}_fts ON {t} USING gin (to_tsvector('simple', search_text))",
                f"ALTER TABLE {t} DROP COLUMN IF EXISTS search_vector",
            ],
        )

    def describe(self) -> str:
        return f"Stored, indexed search vector of {self.table}.search_text"
