"""The access log and the timeline are append-only in the database itself (PostgreSQL), not only in Python.

Row triggers refuse UPDATE and DELETE on both tables, with two exceptions, each allowed only in a transaction that
set `radar.retention_cutoff` (outreach.audit.audit_trail_open_before, with SET LOCAL semantics):
- deleting an access-log entry dated before the cutoff (the retention purge);
- erasing the note of an event dated at or before the cutoff, and nothing else of it (anonymisation).
The cutoff travels with the switch because the database's clock is not the application's.

The application runs as a role that does not own these tables, so it can neither drop nor disable the triggers
(README, Deployment). SQLite has no such triggers: there the rule is the models' (AppendOnlyModel).
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION radar_retention_cutoff() RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT NULLIF(current_setting('radar.retention_cutoff', true), '')::timestamptz
$$;

CREATE FUNCTION radar_accesslog_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.at < radar_retention_cutoff() THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
        MESSAGE = 'the access log is append-only: ' || TG_OP || ' refused';
END
$$;

CREATE FUNCTION radar_caseevent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.at <= radar_retention_cutoff() AND NEW.note = ''
            AND to_jsonb(NEW) - 'note' = to_jsonb(OLD) - 'note' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
        MESSAGE = 'the timeline is append-only: ' || TG_OP || ' refused';
END
$$;

CREATE TRIGGER accesslog_append_only BEFORE UPDATE OR DELETE ON outreach_accesslog
    FOR EACH ROW EXECUTE FUNCTION radar_accesslog_append_only();
CREATE TRIGGER caseevent_append_only BEFORE UPDATE OR DELETE ON outreach_caseevent
    FOR EACH ROW EXECUTE FUNCTION radar_caseevent_append_only();
"""

DROP = """
DROP TRIGGER caseevent_append_only ON outreach_caseevent;
DROP TRIGGER accesslog_append_only ON outreach_accesslog;
DROP FUNCTION radar_caseevent_append_only();
DROP FUNCTION radar_accesslog_append_only();
DROP FUNCTION radar_retention_cutoff();
"""


def on_postgresql(sql: str):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("outreach", "0007_privacya_retention")]

    operations = [migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP))]
