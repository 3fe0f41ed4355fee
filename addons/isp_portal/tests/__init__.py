from . import test_isp_portal_tickets
from . import test_ui

from . import test_portal_home

from . import test_paybill
from . import test_api_docs

from . import test_hotspot

from . import test_portal_login

from . import test_portal_actions

from . import test_portal_tours

from . import test_portal_otp

from . import test_portal_tickets_toggle

from . import test_portal_validity

from . import test_ticket_notify

from . import test_portal_referral

from . import test_portal_layout
