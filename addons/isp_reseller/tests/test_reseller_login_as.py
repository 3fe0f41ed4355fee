from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger


class ResellerPanelHttpCommon(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        # the reseller form reads the wallet balance: its account exists beforehand
        cls.env.company._isp_get_reseller_wallet_account()
        Reseller = cls.env["isp.reseller"]
        cls.reseller_alpha = Reseller.create(
            {"partner_id": Partner.create({"name": "Tour Reseller Alpha"}).id}
        )
        cls.reseller_beta = Reseller.create(
            {"partner_id": Partner.create({"name": "Tour Reseller Beta"}).id}
        )
        cls.sub_alpha = Reseller.create(
            {
                "partner_id": Partner.create({"name": "Tour Sub Alpha"}).id,
                "kind": "sub_reseller",
                "parent_id": cls.reseller_alpha.id,
            }
        )
        cls.user_alpha = new_test_user(
            cls.env,
            login="isp_tour_panel_alpha",
            name="Tour Panel User",
            isp_reseller_id=cls.reseller_alpha.id,
        )
        cls.user_beta = new_test_user(
            cls.env, login="isp_tour_panel_beta", isp_reseller_id=cls.reseller_beta.id
        )
        cls.manager = new_test_user(
            cls.env,
            login="isp_tour_manager",
            name="Tour Manager",
            groups="base.group_user,isp_base.group_isp_manager",
        )
        cls.subscriber_alpha = Partner.create(
            {
                "name": "Tour Alpha Subscriber",
                "is_isp_subscriber": True,
                "mobile": "01719000001",
                "reseller_id": cls.reseller_alpha.id,
            }
        )
        cls.subscriber_beta = Partner.create(
            {
                "name": "Tour Beta Subscriber",
                "is_isp_subscriber": True,
                "mobile": "01719000002",
                "reseller_id": cls.reseller_beta.id,
            }
        )

    def _post(self, url, **data):
        # the CSRF token is bound to the session the opener holds now
        self._keep_server_session_cookie()
        self.session = http.root.session_store.get(self.opener.cookies["session_id"])
        response = self.url_open(url, data={"csrf_token": http.Request.csrf_token(self), **data})
        self._keep_server_session_cookie()
        return response

    def _keep_server_session_cookie(self):
        """Keep only the session cookie the server set when it rotated the session."""
        cookies = [cookie for cookie in self.opener.cookies if cookie.name == "session_id"]
        if len(cookies) > 1:
            value = next(cookie.value for cookie in cookies if cookie.domain)
            for cookie in cookies:
                self.opener.cookies.clear(cookie.domain, cookie.path, cookie.name)
            self.opener.cookies.set("session_id", value)

    def _session_info(self):
        return self.make_jsonrpc_request("/web/session/get_session_info")


@tagged("post_install", "-at_install")
class TestResellerPanelTours(ResellerPanelHttpCommon):
    """Reseller A's panel in a real browser: its subscribers only."""

    def test_panel_lists_own_subscribers_only(self):
        self.start_tour("/odoo", "isp_reseller_panel_isolation", login=self.user_alpha.login)

    @mute_logger("odoo.http", "odoo.addons.base.models.ir_rule")
    def test_foreign_subscriber_by_url_is_refused(self):
        self.start_tour(
            f"/odoo/res.partner/{self.subscriber_beta.id}",
            "isp_reseller_panel_foreign_record",
            login=self.user_alpha.login,
        )

    def test_login_as_banner_and_return(self):
        self.start_tour(
            f"/odoo/action-isp_reseller.action_isp_reseller/{self.reseller_alpha.id}",
            "isp_reseller_login_as",
            login=self.manager.login,
        )
        logs = self.env["isp.audit.log"].search(
            [("impersonator_id", "=", self.manager.id), ("user_id", "=", self.user_alpha.id)]
        )
        self.assertTrue(logs, "the return is audited with both users")


@tagged("post_install", "-at_install")
class TestResellerLoginAs(ResellerPanelHttpCommon):
    """An ISP manager works as a reseller's user, audited, then returns."""

    def test_login_as_audited_with_both_users(self):
        self.authenticate(self.manager.login, self.manager.login)
        action = self.reseller_alpha.with_user(self.manager).action_isp_login_as()
        self.assertEqual(action["url"], f"/isp_reseller/login_as/{self.reseller_alpha.id}")
        confirm = self.url_open(action["url"])
        self.assertIn("Tour Panel User", confirm.text)
        self.assertEqual(self._session_info()["uid"], self.manager.id)
        response = self._post(action["url"])
        response.raise_for_status()
        info = self._session_info()
        self.assertEqual(info["uid"], self.user_alpha.id)
        self.assertEqual(info["isp_impersonator"]["id"], self.manager.id)
        # an audited action of the panel names both users
        self.make_jsonrpc_request(
            "/web/dataset/call_kw/res.partner/write",
            {
                "model": "res.partner",
                "method": "write",
                "args": [[self.subscriber_alpha.id], {"reseller_id": self.sub_alpha.id}],
                "kwargs": {},
            },
        )
        moved = self.env["isp.audit.log"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.subscriber_alpha.id)]
        )
        self.assertEqual(moved.user_id, self.user_alpha)
        self.assertEqual(moved.impersonator_id, self.manager)
        self.assertEqual(
            self.env["isp.reseller.transfer"]
            .search([("partner_id", "=", self.subscriber_alpha.id)])
            .user_id,
            self.user_alpha,
        )
        # nested login-as is refused
        with mute_logger("odoo.http"):
            nested = self._post(f"/isp_reseller/login_as/{self.reseller_beta.id}")
        self.assertEqual(nested.status_code, 403)
        self._post("/isp_reseller/login_as/exit").raise_for_status()
        info = self._session_info()
        self.assertEqual(info["uid"], self.manager.id)
        self.assertNotIn("isp_impersonator", info)
        logs = self.env["isp.audit.log"].search(
            [("res_model", "in", ["isp.reseller", "res.users"])], order="id"
        )
        start, end = logs[-2:]
        self.assertEqual(start.user_id, self.manager)
        self.assertEqual(start.res_id, self.reseller_alpha.id)
        self.assertEqual(start.new_value, self.user_alpha.login)
        self.assertEqual(end.user_id, self.user_alpha)
        self.assertEqual(end.impersonator_id, self.manager)
        # exit when not impersonating is refused
        with mute_logger("odoo.http"):
            self.assertEqual(self._post("/isp_reseller/login_as/exit").status_code, 403)

    def test_login_as_refusals(self):
        with self.assertRaises(AccessError):
            self.reseller_alpha.with_user(self.user_beta).action_isp_login_as()
        staff = new_test_user(
            self.env, login="isp_tour_staff", groups="base.group_user,isp_base.group_isp_staff"
        )
        with self.assertRaises(AccessError):
            self.reseller_alpha.with_user(staff).action_isp_login_as()
        lonely = self.env["isp.reseller"].create(
            {"partner_id": self.env["res.partner"].create({"name": "No Users"}).id}
        )
        with self.assertRaises(UserError):
            lonely.with_user(self.manager).action_isp_login_as()
        self.user_beta.active = False
        with self.assertRaises(UserError):
            self.reseller_beta.with_user(self.manager).action_isp_login_as()
        # over HTTP too: a non-manager posting is refused, the session unchanged
        self.authenticate(staff.login, staff.login)
        with mute_logger("odoo.http"):
            response = self._post(f"/isp_reseller/login_as/{self.reseller_alpha.id}")
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self._session_info()["uid"], staff.id)
        # a GET never switches
        self.authenticate(self.manager.login, self.manager.login)
        self.url_open(f"/isp_reseller/login_as/{self.reseller_alpha.id}")
        self.assertEqual(self._session_info()["uid"], self.manager.id)
