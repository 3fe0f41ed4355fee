from . import test_isp_reseller_access
from . import test_ui
