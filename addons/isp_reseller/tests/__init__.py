from . import test_isp_reseller_access
from . import test_reseller_isolation
from . import test_reseller_tree
from . import test_reseller_wallet
from . import test_ui
