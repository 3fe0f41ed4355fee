# ---- settings
from . import res_company
from . import res_config_settings

# ---- notices
from . import isp_portal_notice

# ---- subscriber home
from . import ir_http
from . import isp_subscription

# ---- pay-bill API
from . import isp_paybill_key

# ---- hotspot
from . import isp_hotspot_attempt

# ---- portal login
from . import res_users

# ---- subscriber actions
from . import helpdesk_ticket
from . import isp_package_change
