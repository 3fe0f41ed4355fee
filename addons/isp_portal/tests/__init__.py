from . import test_isp_portal_tickets
from . import test_ui
