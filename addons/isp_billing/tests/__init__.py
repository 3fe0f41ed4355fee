from . import test_isp_billing_access
from . import test_ui
from . import test_voucher
from . import test_billing_run
