from . import res_company
from . import res_config_settings
from . import isp_reseller
from . import res_partner
from . import res_users
from . import isp_subscription
from . import account_move
