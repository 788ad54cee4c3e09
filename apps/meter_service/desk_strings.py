"""Messages of the desk theme (django-unfold ships no Persian catalogue).

Listed here so that makemessages puts them in this app's catalogue, which translates them.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

DESK_THEME_MESSAGES = [
    gettext_noop("Choose file to upload"),
    gettext_noop("%(class_name)s %(instance)s"),
    gettext_noop("Add new item"),
    gettext_noop("Add row"),
    gettext_noop("After you've created a user, you’ll be able to edit more user options."),
    gettext_noop("All applications"),
    gettext_noop("Apply Filters"),
    gettext_noop("Bold"),
    gettext_noop("Cancel"),
    gettext_noop("Change History"),
    gettext_noop("Click to cancel"),
    gettext_noop("Click to download"),
    gettext_noop("Code"),
    gettext_noop("Collapse"),
    gettext_noop("Current file"),
    gettext_noop("Dark"),
    gettext_noop("Date"),
    gettext_noop("Date from"),
    gettext_noop("Date to"),
    gettext_noop("Default"),
    gettext_noop("Edit"),
    gettext_noop("Enter an URL"),
    gettext_noop("Expand row"),
    gettext_noop("Export"),
    gettext_noop("False"),
    gettext_noop("General"),
    gettext_noop("Go back"),
    gettext_noop("Group"),
    gettext_noop("Group permissions"),
    gettext_noop("Heading"),
    gettext_noop("Import"),
    gettext_noop("Italic"),
    gettext_noop("Light"),
    gettext_noop("Link"),
    gettext_noop("Loading more results..."),
    gettext_noop("Manage group"),
    gettext_noop("Manage user"),
    gettext_noop("More actions"),
    gettext_noop("Name"),
    gettext_noop("New"),
    gettext_noop("Next"),
    gettext_noop("No data"),
    gettext_noop("No recent searches"),
    gettext_noop("No results found"),
    gettext_noop("No results matching your query"),
    gettext_noop("Non field specific"),
    gettext_noop("Object"),
    gettext_noop("Object permissions"),
    gettext_noop("Previous"),
    gettext_noop("Recent searches"),
    gettext_noop("Redo"),
    gettext_noop("Reset filters"),
    gettext_noop("Reset to default"),
    gettext_noop("Revert"),
    gettext_noop("Row"),
    gettext_noop("Run"),
    gettext_noop("Select action"),
    gettext_noop("Select action to run"),
    gettext_noop("Select all rows"),
    gettext_noop("Select record"),
    gettext_noop("Select value"),
    gettext_noop("Skipped"),
    gettext_noop("Submit"),
    gettext_noop("System"),
    gettext_noop("This item will be deleted."),
    gettext_noop("This object doesn't have a change history."),
    gettext_noop("This page yielded into no results. Create a new item or reset your filters."),
    gettext_noop("Toggle password visibility"),
    gettext_noop("True"),
    gettext_noop("Type to search"),
    gettext_noop("Undo"),
    gettext_noop("Update"),
    gettext_noop("User permissions"),
    gettext_noop("Value"),
    gettext_noop("View traceback"),
    gettext_noop("You have been successfully logged out from the administration"),
    gettext_noop("Search apps and models..."),
    gettext_noop("Filter navigation items"),
    # The login page (unfold/helpers/unauthenticated_title.html, unauthenticated_header.html).
    gettext_noop("Welcome back to"),
    gettext_noop("Return to site"),
]

# The note above a form with errors (unfold/helpers/messages/errornote.html): a plural, which
# Django's own Persian catalogue leaves untranslated.
DESK_THEME_PLURAL_MESSAGES = [
    ngettext_lazy("Please correct the error below.", "Please correct the errors below.", "count"),
]

# django-helpdesk's names of the queue model, shown in the desk as complaint topics (its
# catalogue has no "fa", only "fa_IR", which Django does not fall back to).
HELPDESK_MESSAGES = [
    gettext_noop("Queue"),
    gettext_noop("Queues"),
]
