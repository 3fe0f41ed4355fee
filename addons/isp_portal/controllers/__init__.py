from . import connection

from . import paybill

from . import hotspot

from . import actions

from . import otp_login

from . import tickets

from . import referral
