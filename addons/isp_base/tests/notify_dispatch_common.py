"""Fixtures of the notification dispatcher's tests (used by the other addons too).

:meth:`NotifyDispatchMixin._setup_notify` creates one gateway per channel (no HTTP:
the tests check what is enqueued) and loads the Bangla templates.
"""


class NotifyDispatchMixin:
    @classmethod
    def _setup_notify(cls):
        env = cls.env
        env["res.lang"]._activate_lang("bn_IN")
        env["ir.module.module"]._load_module_terms(["isp_base"], ["bn_IN"], overwrite=True)
        Gateway = env["isp.notify.gateway"]
        # Only the gateways of the test: other configured ones must not be picked.
        Gateway.search([]).write({"active": False})
        company = env.company
        cls.gateway_sms = Gateway.create(
            {
                "name": "Test SMS",
                "channel": "sms",
                "provider": "generic_http",
                "base_url": "http://127.0.0.1:9/send",
                "company_id": company.id,
                "cost_per_segment": 0.35,
            }
        )
        cls.gateway_email = Gateway.create(
            {
                "name": "Test e-mail",
                "channel": "email",
                "provider": "odoo_mail",
                "company_id": company.id,
            }
        )
        cls.gateway_telegram = Gateway.create(
            {
                "name": "Test Telegram",
                "channel": "telegram",
                "provider": "telegram_bot",
                "base_url": "http://127.0.0.1:9",
                "telegram_chat_ids": "-1001, -1002",
                "company_id": company.id,
            }
        )
        cls.Dispatcher = env["isp.notify.dispatcher"]
        cls.Message = env["isp.notify.message"]

    @classmethod
    def _trigger(cls, event_code, channel="sms", **vals):
        """The trigger of ``event_code`` x ``channel`` (created if the data has none)."""
        Trigger = cls.env["isp.notify.trigger"].with_context(active_test=False)
        trigger = Trigger.search(
            [
                ("event_code", "=", event_code),
                ("channel", "=", channel),
                ("company_id", "=", cls.env.company.id),
            ],
            limit=1,
        )
        if not trigger:
            trigger = Trigger.create(
                {
                    "event_code": event_code,
                    "channel": channel,
                    "template_id": cls.env["isp.notify.template"]._isp_get(event_code).id,
                    "company_id": cls.env.company.id,
                    **vals,
                }
            )
        return trigger

    def _messages(self, event_code, **domain):
        return self.env["isp.notify.message"].search(
            [("event_code", "=", event_code)] + [(k, "=", v) for k, v in domain.items()],
            order="id",
        )
