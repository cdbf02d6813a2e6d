"""Copy each participant's reachability onto their locations, kept up to date by triggers.

The reach selector and its live counts then read only the r9 covering index (ADR 0086). One
function per database computes a location's columns from its participant and phone numbers;
the participant's and phones' triggers only "touch" the affected locations
(`SET participant_id = participant_id`), so the computation lives in one place per database
and every writer — ORM saves, `.update()`, imports, raw SQL — keeps the copy exact.

PostgreSQL: a BEFORE INSERT OR UPDATE trigger on locations fills the columns, unless the
transaction set `burgernet.reach_given = 'on'` (the demo/bench loader, which COPYs rows with
the columns already computed). SQLite: AFTER INSERT/UPDATE triggers write them (SQLite's
triggers cannot change NEW; recursive triggers are off, so the write does not re-fire them).

Adding a category means redefining `participants_reach_categories` / the SQLite CASE list in a
new migration (`CATEGORY_BITS` in models.py).
"""

from collections.abc import Callable
from typing import Any

from django.db import migrations, models

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION participants_reach_categories(cats jsonb) RETURNS smallint
LANGUAGE sql IMMUTABLE AS $$
    SELECT ((CASE WHEN cats @> '["missing_persons"]' THEN 1 ELSE 0 END)
          | (CASE WHEN cats @> '["crime"]' THEN 2 ELSE 0 END)
          | (CASE WHEN cats @> '["prevention"]' THEN 4 ELSE 0 END)
          | (CASE WHEN cats @> '["crisis"]' THEN 8 ELSE 0 END))::smallint
$$;

CREATE OR REPLACE FUNCTION participants_location_reach() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    person record;
BEGIN
    IF current_setting('burgernet.reach_given', true) = 'on' THEN
        RETURN NEW;
    END IF;
    SELECT p.confirmed_at IS NOT NULL AND p.deactivated_at IS NULL AS active,
           p.paused_until,
           participants_reach_categories(p.categories) AS categories,
           p.email_confirmed_at IS NOT NULL AND NOT p.email_unreachable AS email
      INTO person
      FROM participants_participant p WHERE p.id = NEW.participant_id;
    IF NOT FOUND THEN
        -- The participant is not there (yet, with deferred foreign keys, or any more during
        -- a cascade): the participant's own insert trigger computes these when it comes.
        RETURN NEW;
    END IF;
    NEW.reach_active := person.active;
    NEW.reach_paused_until := person.paused_until;
    NEW.reach_categories := person.categories;
    NEW.reach_email := person.email;
    SELECT count(*) FILTER (WHERE x.sms), count(*) FILTER (WHERE x.voice)
      INTO NEW.reach_sms, NEW.reach_voice
      FROM participants_phonenumber x
     WHERE x.participant_id = NEW.participant_id AND x.verified_at IS NOT NULL;
    RETURN NEW;
END
$$;

CREATE TRIGGER participants_location_reach
BEFORE INSERT OR UPDATE ON participants_location
FOR EACH ROW EXECUTE FUNCTION participants_location_reach();

CREATE OR REPLACE FUNCTION participants_participant_reach() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('burgernet.reach_given', true) = 'on' THEN
        RETURN NULL;
    END IF;
    UPDATE participants_location SET participant_id = participant_id
     WHERE participant_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER participants_participant_reach
AFTER UPDATE OF confirmed_at, deactivated_at, paused_until, categories,
    email_confirmed_at, email_unreachable
ON participants_participant
FOR EACH ROW
WHEN (OLD.confirmed_at IS DISTINCT FROM NEW.confirmed_at
      OR OLD.deactivated_at IS DISTINCT FROM NEW.deactivated_at
      OR OLD.paused_until IS DISTINCT FROM NEW.paused_until
      OR OLD.categories IS DISTINCT FROM NEW.categories
      OR OLD.email_confirmed_at IS DISTINCT FROM NEW.email_confirmed_at
      OR OLD.email_unreachable IS DISTINCT FROM NEW.email_unreachable)
EXECUTE FUNCTION participants_participant_reach();

CREATE TRIGGER participants_participant_reach_insert
AFTER INSERT ON participants_participant
FOR EACH ROW EXECUTE FUNCTION participants_participant_reach();

CREATE OR REPLACE FUNCTION participants_phone_reach() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('burgernet.reach_given', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        UPDATE participants_location SET participant_id = participant_id
         WHERE participant_id = OLD.participant_id;
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.participant_id <> OLD.participant_id) THEN
        UPDATE participants_location SET participant_id = participant_id
         WHERE participant_id = NEW.participant_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER participants_phone_reach_insert_delete
AFTER INSERT OR DELETE ON participants_phonenumber
FOR EACH ROW EXECUTE FUNCTION participants_phone_reach();

CREATE TRIGGER participants_phone_reach_update
AFTER UPDATE OF participant_id, sms, voice, verified_at ON participants_phonenumber
FOR EACH ROW
WHEN (OLD.participant_id IS DISTINCT FROM NEW.participant_id
      OR OLD.sms IS DISTINCT FROM NEW.sms
      OR OLD.voice IS DISTINCT FROM NEW.voice
      OR (OLD.verified_at IS NULL) IS DISTINCT FROM (NEW.verified_at IS NULL))
EXECUTE FUNCTION participants_phone_reach();

UPDATE participants_location SET participant_id = participant_id;
"""

POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS participants_phone_reach_update ON participants_phonenumber;
DROP TRIGGER IF EXISTS participants_phone_reach_insert_delete ON participants_phonenumber;
DROP TRIGGER IF EXISTS participants_participant_reach ON participants_participant;
DROP TRIGGER IF EXISTS participants_participant_reach_insert ON participants_participant;
DROP TRIGGER IF EXISTS participants_location_reach ON participants_location;
DROP FUNCTION IF EXISTS participants_phone_reach();
DROP FUNCTION IF EXISTS participants_participant_reach();
DROP FUNCTION IF EXISTS participants_location_reach();
DROP FUNCTION IF EXISTS participants_reach_categories(jsonb);
"""

# SQLite: one UPDATE computes a location's columns; it runs after every insert and update of a
# location. The participant's and phones' triggers touch the locations, which fires it.
_SQLITE_CATEGORY = (
    "(CASE WHEN EXISTS (SELECT 1 FROM json_each(p.categories) WHERE value = '{name}') "
    "THEN {bit} ELSE 0 END)"
)
_SQLITE_CATEGORIES = " | ".join(
    _SQLITE_CATEGORY.format(name=name, bit=bit)
    for name, bit in (("missing_persons", 1), ("crime", 2), ("prevention", 4), ("crisis", 8))
)
# Constant SQL built from constants above: no input reaches it.
_SQLITE_COMPUTE = f"""
    UPDATE participants_location SET
        (reach_active, reach_paused_until, reach_categories, reach_email) = (
            SELECT p.confirmed_at IS NOT NULL AND p.deactivated_at IS NULL,
                   p.paused_until,
                   {_SQLITE_CATEGORIES},
                   p.email_confirmed_at IS NOT NULL AND NOT p.email_unreachable
              FROM participants_participant p WHERE p.id = NEW.participant_id),
        (reach_sms, reach_voice) = (
            SELECT coalesce(sum(x.sms), 0), coalesce(sum(x.voice), 0)
              FROM participants_phonenumber x
             WHERE x.participant_id = NEW.participant_id AND x.verified_at IS NOT NULL)
     WHERE id = NEW.id;
"""  # noqa: S608
_SQLITE_TOUCH = """
    UPDATE participants_location SET participant_id = participant_id
     WHERE participant_id = {row}.participant_id;
"""
# Only while the participant exists (with deferred foreign keys a location can come first, or
# outlive its participant inside a cascade or a test database flush); the participant's own
# insert trigger computes the columns when it comes.
_SQLITE_PARTICIPANT_EXISTS = (
    "WHEN EXISTS (SELECT 1 FROM participants_participant p WHERE p.id = NEW.participant_id)"
)
SQLITE_FORWARD = [
    "CREATE TRIGGER participants_location_reach_insert AFTER INSERT ON participants_location "
    f"{_SQLITE_PARTICIPANT_EXISTS} BEGIN {_SQLITE_COMPUTE} END",
    "CREATE TRIGGER participants_location_reach_update AFTER UPDATE ON participants_location "
    f"{_SQLITE_PARTICIPANT_EXISTS} BEGIN {_SQLITE_COMPUTE} END",
    "CREATE TRIGGER participants_participant_reach_insert AFTER INSERT "
    "ON participants_participant BEGIN "
    "UPDATE participants_location SET participant_id = participant_id "
    "WHERE participant_id = NEW.id; END",
    "CREATE TRIGGER participants_participant_reach AFTER UPDATE OF confirmed_at, "
    "deactivated_at, paused_until, categories, email_confirmed_at, email_unreachable "
    "ON participants_participant BEGIN "
    "UPDATE participants_location SET participant_id = participant_id "
    "WHERE participant_id = NEW.id; END",
    "CREATE TRIGGER participants_phone_reach_insert AFTER INSERT ON participants_phonenumber "
    f"BEGIN {_SQLITE_TOUCH.format(row='NEW')} END",
    "CREATE TRIGGER participants_phone_reach_delete AFTER DELETE ON participants_phonenumber "
    f"BEGIN {_SQLITE_TOUCH.format(row='OLD')} END",
    "CREATE TRIGGER participants_phone_reach_update AFTER UPDATE OF participant_id, sms, voice, "
    "verified_at ON participants_phonenumber BEGIN "
    f"{_SQLITE_TOUCH.format(row='OLD')} {_SQLITE_TOUCH.format(row='NEW')} END",
    "UPDATE participants_location SET participant_id = participant_id",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "participants_location_reach_insert",
        "participants_location_reach_update",
        "participants_participant_reach",
        "participants_participant_reach_insert",
        "participants_phone_reach_insert",
        "participants_phone_reach_delete",
        "participants_phone_reach_update",
    )
]


def _run(statements_by_vendor: dict[str, list[str]]) -> Callable[..., None]:
    def run(apps: Any, schema_editor: Any) -> None:
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(
                f"no reach triggers for {schema_editor.connection.vendor}: "
                "Burgernet supports PostgreSQL and SQLite"
            )
        for sql in statements:
            schema_editor.execute(sql, params=None)

    return run


FORWARD = {"postgresql": [POSTGRES_FORWARD], "sqlite": SQLITE_FORWARD}
BACKWARD = {"postgresql": [POSTGRES_BACKWARD], "sqlite": SQLITE_BACKWARD}


class Migration(migrations.Migration):
    dependencies = [
        ("geo", "0001_initial"),
        ("participants", "0004_reach_r9_index"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="location",
            name="participants_loc_r9_reach",
        ),
        migrations.AddField(
            model_name="location",
            name="reach_active",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name="location",
            name="reach_categories",
            field=models.SmallIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="location",
            name="reach_email",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name="location",
            name="reach_paused_until",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="location",
            name="reach_sms",
            field=models.SmallIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="location",
            name="reach_voice",
            field=models.SmallIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
        migrations.AddIndex(
            model_name="location",
            index=models.Index(
                fields=["h3_r9"],
                include=(
                    "participant",
                    "window_start",
                    "window_end",
                    "lat",
                    "lon",
                    "id",
                    "reach_active",
                    "reach_paused_until",
                    "reach_categories",
                    "reach_sms",
                    "reach_voice",
                    "reach_email",
                ),
                name="participants_loc_r9_reachable",
            ),
        ),
    ]
