# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo import models


class QueueJob(models.Model):
    """Keep job state changes for users who may write jobs.

    ``queue_job`` changes the state of a job through ``Job.load()``, which
    works on a superuser record. Up to now only Job Queue Managers could
    read jobs at all, so the buttons needed no further check. This addon
    lets Network Engineers *read* jobs; without the check below they could
    call ``requeue``/``button_done``/``button_cancelled`` over RPC even
    though the form hides those buttons from them.
    """

    _inherit = "queue.job"

    def requeue(self):
        self.check_access("write")
        return super().requeue()

    def button_done(self):
        self.check_access("write")
        return super().button_done()

    def button_cancelled(self):
        self.check_access("write")
        return super().button_cancelled()
