from . import test_isp_portal_tickets
from . import test_ui

# ---- subscriber home
from . import test_portal_home

# ---- pay-bill API
from . import test_paybill
from . import test_api_docs

# ---- hotspot
from . import test_hotspot

# ---- portal login
from . import test_portal_login

# ---- subscriber actions
from . import test_portal_actions
