from . import test_isp_billing_access
from . import test_ui
