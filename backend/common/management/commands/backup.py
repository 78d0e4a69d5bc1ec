"""``manage.py backup [--output FILE]``: a consistent copy of the whole database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backend.common.backups import BackupError, database_backup, default_backup_path


class Command(BaseCommand):
    help = (
        "Back up the whole database (SQLite: online backup API; PostgreSQL: pg_dump) to "
        "--output, by default var/backups/kap-<UTC time>.(sqlite3|pgdump). Safe while "
        "the app serves."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="the backup file to write (new)")

    def handle(self, *args, output: Path | None = None, **options) -> None:
        target = output or default_backup_path()
        try:
            written = database_backup(target)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(written))
