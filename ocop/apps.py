from django.apps import AppConfig


class OcopConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ocop"
    verbose_name = "OCOP (Mỗi xã một sản phẩm)"
