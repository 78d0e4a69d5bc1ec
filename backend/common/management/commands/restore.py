"""``manage.py restore FILE --yes``: replace the whole database with a backup."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backend.common.backups import BackupError, database_restore


class Command(BaseCommand):
    help = (
        "Replace the WHOLE database with the backup FILE (from `manage.py backup`): all "
        "of it or nothing. Every change since the backup is lost. Needs --yes."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--yes", action="store_true", help="confirm: the current data is replaced"
        )

    def handle(self, *args, file: Path, yes: bool = False, **options) -> None:
        if not yes:
            raise CommandError(
                "This replaces the whole database with the backup; add --yes to go ahead."
            )
        try:
            database_restore(file)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored {file}. Run `manage.py migrate` if the code is newer.")
