/** @odoo-module **/
/*
 * Reseller panel tours (run by tests/test_reseller_login_as.py).
 */
import { registry } from "@web/core/registry";

const SUBSCRIBERS_MENU = "isp_reseller.menu_isp_reseller_panel_subscribers";

// Reseller A opens Reseller Panel > Subscribers: its own subscriber only.
registry.category("web_tour.tours").add("isp_reseller_panel_isolation", {
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the Reseller Panel",
            trigger: ".o_app[data-menu-xmlid='isp_reseller.menu_isp_reseller_panel']",
            run: "click",
        },
        {
            content: "Open its Subscribers",
            trigger: `.o_menu_sections [data-menu-xmlid='${SUBSCRIBERS_MENU}']`,
            run: "click",
        },
        {
            content: "Reseller A's subscriber is listed",
            trigger: ".o_list_view .o_data_cell:contains(Tour Alpha Subscriber)",
        },
        {
            content: "Reseller B's subscriber is not",
            trigger: ".o_list_view:not(:has(.o_data_cell:contains(Tour Beta Subscriber)))",
        },
    ],
});

// Reseller A opens the form of B's subscriber by its URL: an access error.
registry.category("web_tour.tours").add("isp_reseller_panel_foreign_record", {
    steps: () => [
        {
            content: "The record is refused",
            trigger: ".o_error_dialog",
        },
        {
            content: "Nothing of B's subscriber is shown",
            trigger: "body:not(:has(.o_form_view .o_field_widget:contains(Tour Beta Subscriber)))",
        },
    ],
});

// A manager works as a reseller's user, sees the banner, then returns.
registry.category("web_tour.tours").add("isp_reseller_login_as", {
    steps: () => [
        {
            content: "The manager is on the reseller form",
            trigger: ".o_form_view .o_field_widget[name='partner_id']",
            async run() {
                const resId = /\/(\d+)\/?$/.exec(window.location.pathname)[1];
                const body = new URLSearchParams({ csrf_token: odoo.csrf_token });
                const response = await fetch(`/isp_reseller/login_as/${resId}`, {
                    method: "POST",
                    body,
                });
                if (!response.ok) {
                    throw new Error(`login as refused: ${response.status}`);
                }
                window.location.href = "/odoo/action-isp_base.action_isp_subscriber";
            },
        },
        {
            content: "The banner names both users",
            trigger: ".o_isp_impersonation_banner:contains(Tour Panel User):contains(Tour Manager)",
        },
        {
            content: "The reseller's subscriber list is shown",
            trigger: ".o_list_view .o_data_cell:contains(Tour Alpha Subscriber)",
        },
        {
            content: "Return to the manager",
            trigger: ".o_isp_impersonation_exit",
            run: "click",
        },
        {
            content: "Back on the resellers, without the banner",
            trigger: "body:not(:has(.o_isp_impersonation_banner)) .o_list_view .o_data_cell:contains(Tour Reseller Alpha)",
        },
    ],
});
