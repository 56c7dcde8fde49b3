"""Form fields of the admin that every official can read, with a screen reader too: search boxes (autocomplete) that
say they are searched while empty, and inline rows whose fields carry their column's name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple, RelatedFieldWidgetWrapper
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    _ModelAdmin = admin.options.BaseModelAdmin[Any]
    _Inline = admin.options.InlineModelAdmin[Any, Any]
else:
    _ModelAdmin = object
    _Inline = object


def _search_placeholder() -> str:
    # Short enough for a table cell; static/admin-overrides/select2-names.js names the box after its field too.
    return _("Type to search…")


class NamedAutocompleteSelect(AutocompleteSelect):
    """Django's search box, saying how to use it while nothing is chosen: select2's box takes its accessible name
    from the text it shows, and Django leaves that empty."""

    def build_attrs(self, base_attrs: dict[str, Any], extra_attrs: dict[str, Any] | None = None) -> dict[str, Any]:
        attrs = super().build_attrs(base_attrs, extra_attrs=extra_attrs)
        attrs["data-placeholder"] = _search_placeholder()
        return attrs


class NamedAutocompleteSelectMultiple(AutocompleteSelectMultiple):
    """Django's search box for several choices, saying how to use it while nothing is chosen. Each choice keeps its
    own remove button; the one that removes them all is left out, as it sat inside the list of choices where only
    items belong."""

    def build_attrs(self, base_attrs: dict[str, Any], extra_attrs: dict[str, Any] | None = None) -> dict[str, Any]:
        attrs = super().build_attrs(base_attrs, extra_attrs=extra_attrs)
        attrs["data-placeholder"] = _search_placeholder()
        attrs["data-allow-clear"] = "false"
        return attrs


class NamedSearchFieldsMixin(_ModelAdmin):
    """For a model admin or an inline: its autocomplete fields say how to use them while empty."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = NamedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = NamedAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class LabelledRowsMixin(NamedSearchFieldsMixin, _Inline):
    """For a tabular inline: a row's fields have no label of their own (the column's header names them for the eye
    only), so each carries its column's name, and its text runs in its own direction; the row's relation fields drop
    their four icon links, which doubled each row's height and are one click away on the object's own page."""

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and isinstance(formfield.widget, RelatedFieldWidgetWrapper):
            wrapper = formfield.widget
            wrapper.can_add_related = wrapper.can_change_related = False
            wrapper.can_delete_related = wrapper.can_view_related = False
        return formfield

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)

        class LabelledFormSet(formset):  # type: ignore[misc,valid-type]
            def add_fields(self, form: Any, index: int | None) -> None:
                super().add_fields(form, index)
                for name, field in form.fields.items():
                    label = _("Delete") if name == "DELETE" else capfirst(str(field.label or name))
                    field.widget.attrs.setdefault("aria-label", label)
                    if isinstance(field.widget, forms.TextInput):
                        # A Latin name in a right-to-left page (or the reverse) is typed and read from its start.
                        field.widget.attrs.setdefault("dir", "auto")

        LabelledFormSet.__name__ = formset.__name__
        return LabelledFormSet
