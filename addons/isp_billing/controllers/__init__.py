from . import bkash
from . import sslcommerz
