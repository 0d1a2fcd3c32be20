# The queue sidebar's per-queue counts, kept from the ticket changes themselves
# (tickets.counts): triggers on tickets_ticket append signed deltas per (queue, counter)
# in the transaction that changed the ticket; beat folds them into tickets_queuecount.
#
# Statement-level triggers with transition tables for INSERT and DELETE (a COPY of a
# million seeded tickets writes one delta per queue and counter, not a million);
# row-level for UPDATE, because an UPDATE trigger with a transition table cannot name
# its columns, and most updates (a reply's updated_at, SLA fields, the search document)
# change no count: the WHEN clause skips them without calling any function.
#
# The statuses are written out rather than imported, as a migration must not change
# when the code does (tickets.models ACTIVE_STATUSES, WORKABLE_STATUSES, DONE_STATUSES;
# tests/tickets/test_queue_counts.py checks they agree).

from django.db import migrations, models

ACTIVE = "('new', 'open', 'pending', 'on_hold')"
WORKABLE = "('new', 'open')"
DONE = "('solved', 'closed')"


def _terms(rows: str) -> str:
    """(queue, counter, hour, signed count) for rows of (queue_id, status, assignee_id,
    solved_at, sign): what each row adds to or takes from each counter."""
    return f"""
    SELECT t.queue_id, c.counter, c.hour, sum(t.sign)
      FROM ({rows}) AS t (queue_id, status, assignee_id, solved_at, sign)
     CROSS JOIN LATERAL (VALUES
           ('active', NULL::bigint, t.status IN {ACTIVE}),
           ('unassigned', NULL, t.assignee_id IS NULL AND t.status IN {WORKABLE}),
           ('pending', NULL, t.status = 'pending'),
           ('solved', floor(extract(epoch FROM t.solved_at) / 3600)::bigint,
            t.status IN {DONE} AND t.solved_at IS NOT NULL)
     ) AS c (counter, hour, applies)
     WHERE c.applies
     GROUP BY 1, 2, 3
    HAVING sum(t.sign) <> 0
    """  # noqa: S608 - built from the constants above


def _trigger_function(name: str, rows: str) -> str:
    return f"""
    CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO tickets_queuecountdelta (queue_id, counter, hour, n) {_terms(rows)};
        RETURN NULL;
    END $$
    """


# Every ticket a count includes: the active ones, and those solved in the last eight days
# (older solved hours are read by nobody, the sidebar's window being seven days, and the
# first fold would drop them).
EXISTING = (
    "SELECT queue_id, status, assignee_id, solved_at, 1 FROM tickets_ticket "  # noqa: S608
    f"WHERE status IN {ACTIVE} OR (status IN {DONE} AND solved_at >= now() - interval '8 days')"
)

FORWARD = [
    _trigger_function(
        "tickets_queue_count_insert",
        "SELECT queue_id, status, assignee_id, solved_at, 1 FROM queue_count_new",
    ),
    _trigger_function(
        "tickets_queue_count_update",
        "SELECT OLD.queue_id, OLD.status, OLD.assignee_id, OLD.solved_at, -1 UNION ALL "
        "SELECT NEW.queue_id, NEW.status, NEW.assignee_id, NEW.solved_at, 1",
    ),
    _trigger_function(
        "tickets_queue_count_delete",
        "SELECT queue_id, status, assignee_id, solved_at, -1 FROM queue_count_old",
    ),
    """
    CREATE TRIGGER tickets_queue_count_insert AFTER INSERT ON tickets_ticket
    REFERENCING NEW TABLE AS queue_count_new
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_queue_count_insert()
    """,
    """
    CREATE TRIGGER tickets_queue_count_update
    AFTER UPDATE OF queue_id, status, assignee_id, solved_at ON tickets_ticket
    FOR EACH ROW WHEN (OLD.queue_id IS DISTINCT FROM NEW.queue_id
                       OR OLD.status IS DISTINCT FROM NEW.status
                       OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id
                       OR OLD.solved_at IS DISTINCT FROM NEW.solved_at)
    EXECUTE FUNCTION tickets_queue_count_update()
    """,
    """
    CREATE TRIGGER tickets_queue_count_delete AFTER DELETE ON tickets_ticket
    REFERENCING OLD TABLE AS queue_count_old
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_queue_count_delete()
    """,
    # The counts as they stand. Creating the triggers locked tickets_ticket against
    # writes until this migration commits, so no change falls between count and triggers.
    "INSERT INTO tickets_queuecount (queue_id, counter, hour, n)" + _terms(EXISTING),
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS tickets_queue_count_insert ON tickets_ticket",
    "DROP TRIGGER IF EXISTS tickets_queue_count_update ON tickets_ticket",
    "DROP TRIGGER IF EXISTS tickets_queue_count_delete ON tickets_ticket",
    "DROP FUNCTION IF EXISTS tickets_queue_count_insert()",
    "DROP FUNCTION IF EXISTS tickets_queue_count_update()",
    "DROP FUNCTION IF EXISTS tickets_queue_count_delete()",
]


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0019_receipt_slot"),
    ]

    operations = [
        migrations.CreateModel(
            name="QueueCountDelta",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "counter",
                    models.CharField(
                        choices=[
                            ("active", "Active"),
                            ("unassigned", "Unassigned"),
                            ("pending", "Pending"),
                            ("solved", "Solved"),
                        ],
                        max_length=16,
                    ),
                ),
                ("hour", models.BigIntegerField(blank=True, null=True)),
                ("n", models.BigIntegerField()),
                (
                    "queue",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=models.DO_NOTHING,
                        related_name="+",
                        to="tickets.queue",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="QueueCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "counter",
                    models.CharField(
                        choices=[
                            ("active", "Active"),
                            ("unassigned", "Unassigned"),
                            ("pending", "Pending"),
                            ("solved", "Solved"),
                        ],
                        max_length=16,
                    ),
                ),
                ("hour", models.BigIntegerField(blank=True, null=True)),
                ("n", models.BigIntegerField(default=0)),
                (
                    "queue",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=models.DO_NOTHING,
                        related_name="+",
                        to="tickets.queue",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("queue", "counter", "hour"),
                        name="queue_count_unique",
                        nulls_distinct=False,
                    )
                ],
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
