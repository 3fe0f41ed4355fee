from . import isp_router_browse
from . import isp_router_setup
