"""Fixtures of the reseller tests: a small reseller tree with users and subscribers.

Tree (company of the test): ``reseller_a`` with sub-resellers ``sub_a1`` and ``sub_a2``,
``reseller_b``, and the card partner ``card_c``; one user per node
(``user_a``, ``user_a1``, ``user_a2``, ``user_b``, ``user_c``), one subscriber with a
daily-billed subscription per reseller node (``subscriber_a`` / ``sub_of_a`` ...), and
one invoice per subscriber (``invoice_a`` ...).
"""

import threading

from odoo import SUPERUSER_ID, Command, api
from odoo.addons.isp_billing.tests.common import IspBillingCommon
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import mute_logger


def run_concurrently(test, count, action):
    """Run ``action(index, env)`` in ``count`` threads at once, each on its own cursor.

    Each thread starts at a barrier, retries serialization failures on a fresh
    snapshot as Odoo's request retry does, and commits. Returns the results: what
    ``action`` returned, "refused" for a UserError, "gave up" after 100 retries, or
    the repr of any other exception. Environments are made here: the registry lock is
    held by the test runner.
    """
    envs = [api.Environment(test.env.registry.cursor(), SUPERUSER_ID, {}) for _i in range(count)]
    for env in envs:
        test.addCleanup(env.cr.close)
    barrier = threading.Barrier(count, timeout=30)
    results = []

    def run(index, env):
        try:
            barrier.wait()
            for _attempt in range(100):
                try:
                    result = action(index, env)
                    env.cr.commit()  # pylint: disable=invalid-commit
                    results.append(result)
                    return
                except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                    env.cr.rollback()
                    env.invalidate_all()
            results.append("gave up")
        except UserError:
            env.cr.rollback()
            results.append("refused")
        except Exception as exc:  # reported by the caller's assertion
            env.cr.rollback()
            results.append(repr(exc))

    threads = [threading.Thread(target=run, args=item) for item in enumerate(envs)]
    with mute_logger("odoo.sql_db"):  # the losers' serialization failures
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    return results


class IspResellerCommon(IspBillingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Reseller = cls.env["isp.reseller"]
        cls.profile_daily = cls.env["isp.billing.profile"].create(
            {"name": "Test daily", "billing_type": "daily"}
        )
        cls.reseller_a = cls._create_reseller("Reseller A", share_percent=20)
        cls.sub_a1 = cls._create_reseller("Sub A1", kind="sub_reseller", parent=cls.reseller_a)
        cls.sub_a2 = cls._create_reseller("Sub A2", kind="sub_reseller", parent=cls.reseller_a)
        cls.reseller_b = cls._create_reseller("Reseller B")
        cls.card_c = cls._create_reseller("Card C", kind="card_partner")
        cls.user_a = cls._create_reseller_user("reseller_a", cls.reseller_a)
        cls.user_a1 = cls._create_reseller_user("sub_a1", cls.sub_a1)
        cls.user_a2 = cls._create_reseller_user("sub_a2", cls.sub_a2)
        cls.user_b = cls._create_reseller_user("reseller_b", cls.reseller_b)
        cls.user_c = cls._create_reseller_user("card_c", cls.card_c)
        for key, reseller in (
            ("a", cls.reseller_a),
            ("a1", cls.sub_a1),
            ("a2", cls.sub_a2),
            ("b", cls.reseller_b),
        ):
            partner = cls._create_subscriber(
                f"Subscriber of {reseller.name}", cls.zone_mirpur, reseller_id=reseller.id
            )
            subscription = cls._create_subscription(
                partner, cls.package_hotspot_day, billing_profile_id=cls.profile_daily.id
            )
            setattr(cls, f"subscriber_{key}", partner)
            setattr(cls, f"sub_of_{key}", subscription)
            setattr(cls, f"invoice_{key}", cls._create_invoice(partner))

    @classmethod
    def _create_reseller(cls, name, kind="reseller", parent=None, **vals):
        partner = cls.env["res.partner"].create({"name": name, "is_company": True})
        return cls.env["isp.reseller"].create(
            {
                "partner_id": partner.id,
                "kind": kind,
                "parent_id": parent.id if parent else False,
                **vals,
            }
        )

    @classmethod
    def _create_reseller_user(cls, login, reseller):
        return cls._create_user(login, cls.env.ref("base.group_user"), isp_reseller_id=reseller.id)

    @classmethod
    def _create_invoice(cls, partner):
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_line_ids": [
                    Command.create(
                        {"product_id": cls.package_hotspot_day.id, "quantity": 1, "tax_ids": []}
                    )
                ],
            }
        )
        invoice.action_post()
        return invoice
