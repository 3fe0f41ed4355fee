from . import res_company
from . import res_config_settings

from . import isp_portal_notice

from . import ir_http
from . import isp_subscription

from . import isp_paybill_key

from . import isp_hotspot_attempt

from . import res_users

from . import helpdesk_ticket
from . import isp_package_change

from . import isp_portal_otp

from . import account_move
from . import isp_referral_reward

from . import account_payment
from . import res_partner
from . import product_template
from . import ir_qweb
from . import res_currency
from . import website
