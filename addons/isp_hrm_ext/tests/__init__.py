from . import test_isp_hrm_ext_access
from . import test_ui
