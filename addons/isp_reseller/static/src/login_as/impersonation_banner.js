/** @odoo-module **/
/*
 * Banner shown while an ISP manager works as a reseller's user (login as):
 * session_info.isp_impersonator is set by ir.http; "Return" posts to
 * /isp_reseller/login_as/exit with the CSRF token.
 */
import { Component } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { session } from "@web/session";
import { user } from "@web/core/user";

export class IspImpersonationBanner extends Component {
    static template = "isp_reseller.ImpersonationBanner";
    static props = {};

    get impersonator() {
        return session.isp_impersonator;
    }

    get userName() {
        return user.name;
    }

    get csrfToken() {
        return odoo.csrf_token;
    }
}

if (session.isp_impersonator) {
    registry
        .category("systray")
        .add("isp_reseller.impersonation_banner", { Component: IspImpersonationBanner }, {
            sequence: 1000,
        });
}
