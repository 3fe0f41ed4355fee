from . import login_as
