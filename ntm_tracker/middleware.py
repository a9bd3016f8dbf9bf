from django.conf import settings
from django.core.exceptions import BadRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import gettext as _


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Vietnamese unless the reader chose English with the switch in the header.

    Django's own middleware follows the browser's Accept-Language, and many officials' browsers and phones
    are set to English: the interface would change language under them without their asking.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class RejectControlCharactersMiddleware:
    """Answer 400 to a request whose path or parameters hold a NUL byte.

    PostgreSQL refuses NUL in any text it is given, so `/units/%00/` or `?period=%00` would otherwise reach a
    query and fail with a server error. No legitimate address, code or form field of the tracker holds one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            raise BadRequest(_("Địa chỉ hoặc dữ liệu gửi lên chứa ký tự không hợp lệ (NUL)."))
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if "\x00" in request.path:
            return True
        sources = [request.GET]
        if request.method == "POST":  # form fields, urlencoded or multipart (CSRF reads them anyway)
            sources.append(request.POST)
        for source in sources:
            for key, values in source.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    return True
        return False
