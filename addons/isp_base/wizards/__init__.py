from . import isp_subscription_bulk_action
from . import isp_subscription_bulk_action_line
from . import isp_subscriber_import
from . import isp_subscriber_import_line
from . import isp_notify_send
from . import isp_notify_gateway_test
