from . import bkash
from . import bkash_agreement
from . import sslcommerz
from . import aamarpay
from . import shurjopay
from . import nagad
from . import portal
