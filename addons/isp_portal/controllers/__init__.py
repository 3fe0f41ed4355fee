# ---- subscriber home
from . import connection

# ---- pay-bill API
from . import paybill

# ---- hotspot
from . import hotspot
