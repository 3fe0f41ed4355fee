from . import test_isp_olt_access
from . import test_ui
