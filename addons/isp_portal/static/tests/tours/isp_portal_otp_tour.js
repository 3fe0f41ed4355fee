/** @odoo-module **/
/*
 * Log in with the mobile number and the SMS code (run by tests/test_portal_otp.py,
 * which makes the server draw the code below and reads the queued SMS afterwards).
 */
import { registry } from "@web/core/registry";

export const ISP_OTP_TOUR_PHONE = "01719990001";
export const ISP_OTP_TOUR_CODE = "482913";

registry.category("web_tour.tours").add("isp_portal_tour_otp_login", {
    url: "/web/login?redirect=/my/connection",
    steps: () => [
        {
            content: "Choose to log in with the mobile number",
            trigger: "a.isp_portal_otp_link",
            run: "click",
        },
        {
            content: "Type the registered mobile number",
            trigger: ".isp_portal_otp_form input[name='phone']",
            run: `edit ${ISP_OTP_TOUR_PHONE}`,
        },
        {
            content: "Ask for a code",
            trigger: ".isp_portal_otp_form button[type='submit']",
            run: "click",
        },
        {
            content: "Type the code from the SMS",
            trigger: ".isp_portal_otp_form input[name='code']",
            run: `edit ${ISP_OTP_TOUR_CODE}`,
        },
        {
            content: "Log in",
            trigger: ".isp_portal_otp_form form[action='/web/login/otp/verify'] button[type='submit']",
            run: "click",
        },
        {
            content: "The subscriber's home is shown",
            trigger: "div[name='isp_status']",
        },
    ],
});
