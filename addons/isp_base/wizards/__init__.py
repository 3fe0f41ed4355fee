from . import (
    isp_subscriber_import,
    isp_subscriber_import_line,
    isp_subscription_bulk_action,
    isp_subscription_bulk_action_line,
)
