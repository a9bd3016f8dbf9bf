"""Error pages in the site's layout, in the reader's language."""

from django.core.exceptions import BadRequest
from django.shortcuts import render


def bad_request(request, exception=None):
    # Only our own BadRequest messages are written for the reader; others (SuspiciousOperation…) stay generic.
    message = str(exception) if type(exception) is BadRequest else ""
    return render(request, "400.html", {"message": message}, status=400)
