"""The change list's inputs drawn without templates are the inputs Django's templates draw."""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django import forms
from django.contrib.admin.widgets import AdminIntegerFieldWidget
from django.test.signals import template_rendered

from articles.admin import direct_inputs
from tests.admin.conftest import CHANGELIST, make_article


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            self.inputs.append(dict(attrs))


def inputs(html: str) -> list[dict]:
    parser = _Inputs()
    parser.feed(html)
    return parser.inputs


WIDGETS = [
    (forms.CheckboxInput(), True),
    (forms.CheckboxInput(), False),
    (forms.CheckboxInput(), None),
    (forms.CheckboxInput({"class": "action-select", "aria-label": 'Select "<b>" & co'}), "7"),
    (AdminIntegerFieldWidget(), 75),
    (AdminIntegerFieldWidget(), None),
    (forms.NumberInput({"min": 0, "required": True, "disabled": False}), -3),
    (forms.TextInput(), '"><script>alert(1)</script>'),
    (forms.HiddenInput(), 42),
]


@pytest.mark.parametrize(("widget", "value"), WIDGETS)
def test_a_direct_input_has_the_attributes_of_the_templated_one(widget, value):
    drawn = direct_inputs.direct(widget)
    assert type(drawn) is not type(widget)
    direct_html = drawn.render("form-0-field", value, {"id": "id_form-0-field"})
    templated_html = widget.render("form-0-field", value, {"id": "id_form-0-field"})
    assert inputs(direct_html) == inputs(templated_html)
    assert "<script>" not in direct_html


SELECTS = [
    (forms.Select(choices=[("", "---"), ("publish", "Publish <now>"), ("unpublish", 'Say "no" & go')]), "publish"),
    (forms.Select(choices=[("a", "A")], attrs={"data-width": "14em", "required": True, "disabled": False}), None),
    (forms.Select(choices=[("Kept", [(1, "One"), (2, "Two")]), ("Gone", [(3, "Three")]), (4, "Four")]), 2),
    (forms.SelectMultiple(choices=[(1, "One"), (2, "Two"), (3, "Three")]), [1, 3]),
]


@pytest.mark.parametrize(("widget", "value"), SELECTS)
def test_a_direct_select_is_the_templated_one_to_the_character(widget, value):
    drawn = direct_inputs.direct(widget)
    assert type(drawn) is not type(widget)
    attrs = {"id": "id_action"}
    assert drawn.render("action", value, attrs) == widget.render("action", value, attrs)


@pytest.mark.django_db
def test_a_direct_autocomplete_is_the_templated_one_to_the_character():
    from django.contrib import admin
    from django.contrib.admin.widgets import AutocompleteSelect

    from articles.models import Article
    from providers.models import Provider
    from tests.admin.conftest import make_provider

    provider = make_provider("example.com", "Example <News>")
    field = forms.ModelChoiceField(
        queryset=Provider.objects.all(),
        widget=AutocompleteSelect(Article._meta.get_field("provider"), admin.site, attrs={"data-width": "200px"}),
    )
    widget = field.widget
    drawn = direct_inputs.direct(widget)
    assert drawn.render("provider", provider.pk, {"id": "p"}) == widget.render("provider", provider.pk, {"id": "p"})
    assert "Example &lt;News&gt;" in drawn.render("provider", provider.pk)
    assert drawn.render("provider", None) == widget.render("provider", None)


def test_a_widget_with_a_template_of_its_own_is_left_alone():
    widget = forms.RadioSelect(choices=[("a", "A")])
    assert direct_inputs.direct(widget) is widget
    boolean = forms.NullBooleanSelect()
    assert direct_inputs.direct(boolean) is not boolean  # a select like any other

    class Fancy(forms.TextInput):
        template_name = "admin/widgets/url.html"

    fancy = Fancy()
    assert direct_inputs.direct(fancy) is fancy


def test_an_error_list_still_shows_its_errors():
    assert str(direct_inputs.QuietErrorList()) == ""
    shown = str(direct_inputs.QuietErrorList(["Enter a whole number."]))
    assert "Enter a whole number." in shown
    assert "errorlist" in shown


FORM_TEMPLATES = ("django/forms/widgets/", "django/forms/errors/")


def get_with_templates(client, url: str) -> tuple[str, list[str]]:
    """The page, and the names of the templates that drew it."""
    rendered = []

    def record(sender, template, context, **kwargs):
        rendered.append(template.name)

    template_rendered.connect(record)
    try:
        html = client.get(url).content.decode()
    finally:
        template_rendered.disconnect(record)
    assert rendered, "the test client reports every template rendered"
    return html, rendered


def get_counting_form_templates(client, url: str) -> tuple[str, int]:
    """The page, and how many widget and error-list templates drawing it rendered."""
    html, rendered = get_with_templates(client, url)
    return html, sum(1 for name in rendered if name.startswith(FORM_TEMPLATES))


def test_the_change_list_draws_its_rows_inputs_directly(client, editor):
    client.force_login(editor)
    oldest = make_article("The oldest", age=timedelta(days=2))
    _, one_row = get_counting_form_templates(client, CHANGELIST)
    articles = [
        make_article(f'Story <{n}> "quoted"', quality=n * 10, published=n % 2 == 0, age=timedelta(hours=n + 1))
        for n in range(3)
    ]
    html, four_rows = get_counting_form_templates(client, CHANGELIST)
    # The page's own forms (management form, search, actions) use templates; its rows do not.
    assert four_rows == one_row
    drawn = inputs(html)
    for n, article in enumerate(articles):  # newest first
        by_name = {i["name"]: i for i in drawn if i.get("name", "").startswith(f"form-{n}-")}
        assert by_name[f"form-{n}-id"] == {
            "type": "hidden", "name": f"form-{n}-id", "value": str(article.pk), "id": f"id_form-{n}-id"
        }  # fmt: skip
        assert by_name[f"form-{n}-quality"]["value"] == str(article.quality)
        assert by_name[f"form-{n}-quality"]["class"] == "vIntegerField"
        assert ("checked" in by_name[f"form-{n}-published"]) is article.published
    selects = [i for i in drawn if i.get("class") == "action-select"]
    assert [i["value"] for i in selects] == [str(a.pk) for a in articles] + [str(oldest.pk)]
    assert selects[0]["aria-label"] == 'Select this object for an action - Story <0> "quoted"'


def test_the_change_list_draws_its_selects_directly(client, editor):
    # The action menu, the topic of the "add a topic" action and the provider and topic filters.
    client.force_login(editor)
    make_article("A story")
    html, rendered = get_with_templates(client, CHANGELIST)
    assert not [name for name in rendered if name.startswith("django/forms/widgets/select")]
    assert html.count("<select") == 4
    assert '<option value="publish">Publish selected articles now</option>' in html
    assert 'id="filter-provider"' in html and 'id="filter-topic"' in html


def test_the_story_form_draws_its_inline_rows_and_inputs_directly(client, editor):
    client.force_login(editor)
    bare = make_article("Alone", images=0, related=0)
    busy = make_article("Covered", images=3, related=4)
    _, bare_templates = get_counting_form_templates(client, f"{CHANGELIST}{bare.pk}/change/")
    busy_html, busy_templates = get_counting_form_templates(client, f"{CHANGELIST}{busy.pk}/change/")
    assert busy_templates == bare_templates  # seven more inline rows, no more templates
    fields = {i.get("name"): i for i in inputs(busy_html)}
    assert fields["title"]["value"] == "Covered" and fields["title"]["class"] == "vLargeTextField"
    assert fields["quality"]["class"] == "vIntegerField"
    assert fields["related_links-3-id"]["type"] == "hidden"
    # A refused save still shows its error next to the field.
    response = client.post(f"{CHANGELIST}{bare.pk}/change/", {"title": "", "_save": "1"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
