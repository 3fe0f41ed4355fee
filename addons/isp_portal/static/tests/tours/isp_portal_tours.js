/** @odoo-module **/
/*
 * Subscriber portal tours (run by tests/test_portal_tours.py).
 *
 * Every tour starts logged out on /web/login and logs in with the subscriber's
 * PPPoE username and password, as a subscriber does on a phone.
 */
import { registry } from "@web/core/registry";

export const ISP_TOUR_USERNAME = "tour.karim";
export const ISP_TOUR_PASSWORD = "Tour-Karim-2026";
export const ISP_TOUR_NEW_PASSWORD = "Tour-Karim-New-77";

export function ispPortalLoginSteps(username = ISP_TOUR_USERNAME, password = ISP_TOUR_PASSWORD) {
    return [
        {
            content: "Type the PPPoE username",
            trigger: "form.oe_login_form input[name='login']",
            run: `edit ${username}`,
        },
        {
            content: "Type the PPPoE password",
            trigger: "form.oe_login_form input[name='password']",
            run: `edit ${password}`,
        },
        {
            content: "Log in",
            trigger: "form.oe_login_form .oe_login_buttons button[type='submit']:first",
            run: "click",
        },
        {
            content: "The subscriber's home is shown",
            trigger: "div[name='isp_status']",
        },
    ];
}

registry.category("web_tour.tours").add("isp_portal_tour_pay_invoice", {
    url: "/web/login?redirect=/my/connection",
    steps: () => [
        ...ispPortalLoginSteps(),
        {
            content: "The connection is suspended",
            trigger: "span[name='isp_state']:contains(Suspended)",
        },
        {
            content: "Open the unpaid invoice",
            trigger: "a[name='isp_pay']",
            run: "click",
        },
        {
            content: "Pay now",
            trigger: "a[data-bs-target='#pay_with']:visible:first",
            run: "click",
        },
        {
            content: "Choose bKash",
            trigger: "#pay_with input[name='o_payment_radio'][data-provider-code='bkash']",
            run: "click",
        },
        {
            content: "Pay through the gateway",
            trigger: "#pay_with button[name='o_payment_submit_button']:not(:disabled)",
            run: "click",
        },
        {
            content: "Back on the invoice, paid",
            trigger: "div.badge.text-bg-success:contains(Paid)",
            timeout: 30000,
        },
        {
            content: "Back to my connection",
            trigger: "body",
            run: "goToUrl /my/connection",
        },
        {
            content: "The connection is active again",
            trigger: "span[name='isp_state']:contains(Active)",
        },
        {
            content: "Nothing left to pay",
            trigger: "div[name='isp_due']:not(:has(a[name='isp_pay']))",
        },
    ],
});

registry.category("web_tour.tours").add("isp_portal_tour_ticket", {
    url: "/web/login?redirect=/my/connection",
    steps: () => [
        ...ispPortalLoginSteps(),
        {
            content: "Open my tickets",
            trigger: "a[name='isp_tickets']",
            run: "click",
        },
        {
            content: "New ticket",
            trigger: "form[action='/new/ticket'] button[name='create_new_ticket']",
            run: "click",
        },
        {
            content: "Subject",
            trigger: "form input[name='subject']",
            run: "edit No internet since the storm",
        },
        {
            content: "Description",
            trigger: "form textarea[name='description']",
            run: "edit The router's LOS light is red.",
        },
        {
            content: "Submit the ticket",
            trigger: "form button[type='submit']:contains(Submit Ticket)",
            run: "click",
        },
        {
            content: "The ticket is shown",
            trigger: "#wrap:contains(No internet since the storm)",
        },
        {
            content: "Back to my tickets",
            trigger: "body",
            run: "goToUrl /my/tickets",
        },
        {
            content: "The ticket is listed",
            trigger: "table a:contains(No internet since the storm)",
        },
    ],
});

registry.category("web_tour.tours").add("isp_portal_tour_package_change", {
    url: "/web/login?redirect=/my/connection",
    steps: () => [
        ...ispPortalLoginSteps(),
        {
            content: "Change my package",
            trigger: "a[name='isp_package_change']",
            run: "click",
        },
        {
            content: "Pick the 20 Mbps package",
            trigger: "form[name='isp_package_choose'] label:contains(Test Home 20 Mbps)",
            run: "click",
        },
        {
            content: "Show the cost",
            trigger: "form[name='isp_package_choose'] button[type='submit']",
            run: "click",
        },
        {
            content: "The pro-rated effect is shown before confirming",
            trigger: "div[name='isp_package_preview'] [name='isp_preview_total']",
        },
        {
            content: "Confirm",
            trigger: "button[name='isp_package_confirm']",
            run: "click",
        },
        {
            content: "The request is sent",
            trigger: "div[name='isp_package_done']",
        },
        {
            content: "Its state is shown",
            trigger: "span[name='isp_package_request_state']:contains(Requested)",
        },
    ],
});

registry.category("web_tour.tours").add("isp_portal_tour_password", {
    url: "/web/login?redirect=/my/connection",
    steps: () => [
        ...ispPortalLoginSteps(),
        {
            content: "Change my PPPoE password",
            trigger: "a[name='isp_password_change']",
            run: "click",
        },
        {
            content: "Current password",
            trigger: "#isp_current_password",
            run: `edit ${ISP_TOUR_PASSWORD}`,
        },
        {
            content: "New password",
            trigger: "#isp_new_password",
            run: `edit ${ISP_TOUR_NEW_PASSWORD}`,
        },
        {
            content: "New password again",
            trigger: "#isp_confirm_password",
            run: `edit ${ISP_TOUR_NEW_PASSWORD}`,
        },
        {
            content: "Change it",
            trigger: "button[name='isp_password_submit']",
            run: "click",
        },
        {
            content: "The password is changed",
            trigger: "div[name='isp_password_done']",
        },
    ],
});
