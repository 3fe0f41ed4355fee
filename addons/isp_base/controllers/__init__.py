from . import notify_dlr
