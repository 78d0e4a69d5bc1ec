"""Admin plumbing shared by the apps."""


class ReadOnlyAdminMixin:
    """Shows rows without letting anyone add, change or delete them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
