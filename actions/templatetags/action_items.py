from django import template

from actions.forms import ActionItemForm, NoActionsReasonForm
from actions.services import ActionSection, postmortem_action_section

register = template.Library()

# A postmortem's page shows this many items, open first; the rest come with "Show all", so
# the rare postmortem with hundreds of them stays quick to draw and light to load.
SECTION_ITEMS = 50


@register.simple_tag(takes_context=True)
def action_section(context, postmortem) -> ActionSection:
    """The action items section of a postmortem page, for whoever is reading it.

    The postmortem page and the section's own HTMX answers both render it through this tag,
    so the fragment has one template and one source of data.
    """
    request = context["request"]
    show_all = "all_actions" in request.GET or "all_actions" in request.POST
    section = postmortem_action_section(
        postmortem=postmortem, user=request.user, limit=None if show_all else SECTION_ITEMS
    )
    failed_item, status_form = context.get("failed_item"), context.get("status_form")
    for item in section.items:
        item.status_form = status_form if item.pk == failed_item else None
    if section.can_edit:
        section.add_form = context.get("add_form") or ActionItemForm(
            initial={"owner": request.user.pk}, postmortem=postmortem
        )
        section.reason_form = context.get("reason_form") or NoActionsReasonForm(instance=postmortem)
    section.show_all = show_all
    return section
