from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/unread/", views.notification_unread, name="notifications-unread"),
    path("notifications/read/", views.notification_read, name="notifications-read"),
]
