/* Live traffic of the subscriber's home: polls /my/connection/live while shown. */
(function () {
    "use strict";
    const card = document.getElementById("isp_live_traffic");
    if (!card) {
        return;
    }
    const INTERVAL_MS = 3000;
    const MAX_POLLS = 100; // about 5 minutes, then the subscriber restarts it
    const down = card.querySelector(".js_isp_live_down");
    const up = card.querySelector(".js_isp_live_up");
    const message = card.querySelector(".js_isp_live_message");
    const button = card.querySelector(".js_isp_live_toggle");
    let timer = null;
    let polls = 0;

    function formatRate(bps) {
        const units = ["bps", "Kbps", "Mbps", "Gbps"];
        let value = Number(bps) || 0;
        let unit = 0;
        while (value >= 1000 && unit < units.length - 1) {
            value /= 1000;
            unit += 1;
        }
        return value.toFixed(unit ? 1 : 0) + " " + units[unit];
    }

    function setRunning(running) {
        button.querySelector(".js_isp_live_start").classList.toggle("d-none", running);
        button.querySelector(".js_isp_live_stop").classList.toggle("d-none", !running);
    }

    function stop() {
        clearTimeout(timer);
        timer = null;
        setRunning(false);
    }

    async function poll() {
        polls += 1;
        try {
            const response = await fetch("/my/connection/live", {
                method: "POST",
                headers: {"Content-Type": "application/json"},
                body: JSON.stringify({
                    jsonrpc: "2.0",
                    method: "call",
                    params: {subscription_id: Number(card.dataset.subscriptionId)},
                }),
            });
            const payload = await response.json();
            const result = payload.result || {};
            if (payload.error || result.error === "not_found" || result.error === "disabled" ||
                result.error === "maintenance" || result.error === "unavailable") {
                message.textContent = result.message || "";
                stop();
                return;
            }
            // The router receives (rx) the upload and sends (tx) the download.
            down.textContent = result.error ? "-" : formatRate(result.tx_bps);
            up.textContent = result.error ? "-" : formatRate(result.rx_bps);
            message.textContent = result.message || "";
        } catch {
            stop();
            return;
        }
        if (timer !== null && polls < MAX_POLLS && !document.hidden) {
            timer = setTimeout(poll, INTERVAL_MS);
        } else {
            stop();
        }
    }

    function start() {
        polls = 0;
        setRunning(true);
        timer = setTimeout(poll, 0);
    }

    button.addEventListener("click", () => (timer === null ? start() : stop()));
    document.addEventListener("visibilitychange", () => {
        if (document.hidden) {
            stop();
        }
    });
    start();
})();
