from . import bkash
from . import sslcommerz
from . import aamarpay
from . import shurjopay
from . import nagad
