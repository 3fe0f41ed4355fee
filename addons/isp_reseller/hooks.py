def post_init_hook(env):
    """Give every company with a chart of accounts its reseller wallet accounts."""
    env["res.company"].search([("chart_template", "!=", False)])._isp_setup_reseller_accounts()
