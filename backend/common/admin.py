"""Admin plumbing shared by the apps."""


class ReadOnlyAdminMixin:
    """Shows rows without letting anyone add, change or delete them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ClinicScopedAdminMixin:
    """The admin shows a manager only their clinics' rows, and offers only those in
    dropdowns; a superuser sees everything. The same scoping as the API and console."""

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = db_field.related_model._default_manager.all()
        if hasattr(queryset, "for_user"):
            kwargs.setdefault("queryset", queryset.for_user(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        queryset = db_field.related_model._default_manager.all()
        if hasattr(queryset, "for_user"):
            kwargs.setdefault("queryset", queryset.for_user(request.user))
        return super().formfield_for_manytomany(db_field, request, **kwargs)
