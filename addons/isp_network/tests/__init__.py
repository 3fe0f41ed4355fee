from . import test_isp_network_access
from . import test_ui
