"""Small SQL expressions the ORM lacks, for both SQLite and PostgreSQL."""

from django.db.models import Func, IntegerField, Value
from django.db.models.functions import Cast


class EpochSeconds(Func):
    """Whole seconds since 1970-01-01 UTC of a datetime column, as an integer.

    Reading thousands of busy spans as integers instead of datetimes skips the per-row
    datetime parsing of both database drivers.
    """

    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        # Django keeps aware datetimes on SQLite as UTC text; unixepoch() needs 3.38+.
        if connection.Database.sqlite_version_info >= (3, 38):
            seconds = Func(*self.get_source_expressions(), function="unixepoch")
        else:  # pragma: no cover - depends on the SQLite library Python was built with
            seconds = Cast(
                Func(Value("%s"), *self.get_source_expressions(), function="strftime"),
                IntegerField(),
            )
        return compiler.compile(seconds)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="FLOOR(date_part('epoch', %(expressions)s))::bigint",
            **extra,
        )


class EpochMinutes(Func):
    """Whole minutes since 1970-01-01 UTC of a datetime column, floored, as an integer."""

    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        # Integer division of non-negative seconds floors.
        return compiler.compile(EpochSeconds(*self.get_source_expressions()) / Value(60))

    def as_postgresql(self, compiler, connection, **extra):
        # date_part() is double precision: much cheaper per row than EXTRACT's numeric.
        return self.as_sql(
            compiler,
            connection,
            template="FLOOR(date_part('epoch', %(expressions)s) / 60)::bigint",
            **extra,
        )
