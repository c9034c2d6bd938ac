"""`manage.py catalogues update|compile|check`: the translation catalogues without GNU gettext (see core.catalogues)."""

from django.core.management.base import BaseCommand, CommandError

from core import catalogues


class Command(BaseCommand):
    help = "Update the catalogues from the code, compile them, or check that they are complete."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["update", "compile", "check"])
        parser.add_argument("--language", "-l", action="append", help="only this language (repeatable)")

    def handle(self, *args, action, language, **options):
        if action == "update":
            for code, left in catalogues.update(language).items():
                self.stdout.write(f"{code}: {left} entries to translate")
        elif action == "compile":
            for path in catalogues.compile_all():
                self.stdout.write(f"compiled {path.relative_to(catalogues.root())}")
        else:
            template = catalogues.extract_template()
            found = [line for code in (language or catalogues.languages()) for line in catalogues.problems(code, template)]
            for line in found:
                self.stdout.write(line)
            if found:
                raise CommandError(f"{len(found)} problems in the catalogues")
            self.stdout.write("catalogues complete")
