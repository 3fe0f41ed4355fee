from . import isp_bill_payment
from . import isp_payment_reversal
from . import isp_recharge
from . import isp_advance_payment
from . import isp_advance_payment_line
from . import isp_bill_preview
from . import isp_bill_preview_line
