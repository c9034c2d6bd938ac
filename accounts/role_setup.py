"""Keeps the role groups and their model permissions in place after every migrate (and test-database flush)."""
from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

from . import roles as R


def sync_role_groups(sender=None, using="default", apps=global_apps, **kwargs):
    """Create the six groups if missing and give each the model permissions its role needs (never removes any)."""
    try:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
    except LookupError:
        return
    # Permissions of apps later in INSTALLED_APPS may not exist yet when this runs: create them first.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
    for role in R.ALL_ROLES:
        group, _ = Group.objects.using(using).get_or_create(name=role)
        wanted = R.ROLE_MODEL_PERMISSIONS.get(role, [])
        if not wanted:
            continue
        by_key = {
            f"{p.content_type.app_label}.{p.codename}": p
            for p in Permission.objects.using(using).select_related("content_type").filter(
                codename__in=[w.split(".", 1)[1] for w in wanted]
            )
        }
        group.permissions.add(*[by_key[w] for w in wanted if w in by_key])
