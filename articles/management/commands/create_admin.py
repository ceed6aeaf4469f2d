import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a superuser with a generated password, printed once (does nothing if one exists)."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("An admin account already exists; no new password was generated.")
            return
        password = secrets.token_urlsafe(18)
        User.objects.create_superuser(options["username"], email="", password=password)
        self.stdout.write(f"Admin account created. Username: {options['username']}  Password: {password}")
        self.stdout.write("This password is shown once; change it in the admin if you keep this database.")
