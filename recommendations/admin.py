from django.contrib import admin
from guardian.admin import ReinforcedGuardedModelAdminMixin

from recommendations.models import (
    Footnote,
    Instrument,
    MemberState,
    Recommendation,
    Theme,
)


class ThemeInline(admin.TabularInline):
    model = Theme
    extra = 0
    fields = ["position", "title"]


class FootnoteInline(admin.TabularInline):
    model = Footnote
    fk_name = "instrument"
    extra = 0


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ["short_title", "meeting", "is_draft", "is_current"]
    inlines = [ThemeInline, FootnoteInline]


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["position", "title", "instrument"]
    list_filter = ["instrument"]


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "short_title",
        "theme",
        "addressee",
        "source_paragraph",
        "based_on",
    ]
    list_filter = ["instrument", "theme", "addressee"]
    search_fields = ["short_title", "text"]
    filter_horizontal = ["footnotes"]
    fieldsets = [
        (None, {"fields": ["instrument", "number", "theme", "addressee"]}),
        ("Text", {"fields": ["short_title", "text"]}),
        ("Source", {"fields": ["source_paragraph", "based_on", "footnotes"]}),
    ]


@admin.register(MemberState)
class MemberStateAdmin(ReinforcedGuardedModelAdminMixin, admin.ModelAdmin):  # type: ignore[misc]  # guardian's template name, typed str | None
    """A state's names and participation. Its focal points' object permissions are
    granted through the role services (the Users page): guardian's pages here are
    for those holding guardian's own permissions, superusers, not Secretariat
    admins."""

    list_display = ["iso3", "name_en", "name_es", "name_fr", "name_pt", "participating"]
    list_filter = ["participating"]
    search_fields = ["iso3", "name_en", "name_es", "name_fr", "name_pt"]
