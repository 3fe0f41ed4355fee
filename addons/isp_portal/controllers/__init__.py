# ---- subscriber home
from . import connection

# ---- pay-bill API
from . import paybill

# ---- hotspot
from . import hotspot

# ---- subscriber actions
from . import actions
