import { _t } from "@web/core/l10n/translation";
import { loadBundle } from "@web/core/assets";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { Component, onMounted, onWillStart, onWillUnmount, useRef, useState } from "@odoo/owl";

export const POLL_INTERVAL_MS = 2000;
export const MAX_POINTS = 90; // three minutes of samples

/**
 * Bits per second in the largest unit that keeps the number readable.
 * formatBps(1500) -> "1.5 Kbps", formatBps(12_340_000) -> "12.34 Mbps".
 */
export function formatBps(bps) {
    const value = Number(bps) || 0;
    const units = [
        [1e9, "Gbps"],
        [1e6, "Mbps"],
        [1e3, "Kbps"],
    ];
    for (const [factor, unit] of units) {
        if (Math.abs(value) >= factor) {
            return `${Number((value / factor).toFixed(2))} ${unit}`;
        }
    }
    return `${Math.round(value)} bps`;
}

/**
 * Live download/upload rate of one subscription, sampled from its router every two
 * seconds (``/interface/monitor-traffic`` on the subscriber's PPPoE interface).
 */
export class LiveTrafficAction extends Component {
    static template = "isp_network.LiveTraffic";
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.canvasRef = useRef("canvas");
        const { params = {}, context = {} } = this.props.action;
        this.subscriptionId = params.subscription_id || context.active_id;
        this.state = useState({
            title: params.title || "",
            error: this.subscriptionId ? "" : _t("Open the live traffic from a subscription."),
            download: 0,
            upload: 0,
            peakDownload: 0,
            peakUpload: 0,
            samples: 0,
            paused: false,
        });
        this.chart = null;
        this.timer = null;
        this.busy = false;
        onWillStart(() => loadBundle("web.chartjs_lib"));
        onMounted(() => {
            this.renderChart();
            if (this.subscriptionId) {
                this.poll();
                this.timer = setInterval(() => this.poll(), POLL_INTERVAL_MS);
            }
        });
        onWillUnmount(() => {
            clearInterval(this.timer);
            if (this.chart) {
                this.chart.destroy();
            }
        });
    }

    formatBps(bps) {
        return formatBps(bps);
    }

    renderChart() {
        const Chart = window.Chart;
        this.chart = new Chart(this.canvasRef.el, {
            type: "line",
            data: {
                labels: [],
                datasets: [
                    {
                        label: _t("Download"),
                        data: [],
                        borderColor: "#017e84",
                        backgroundColor: "rgba(1, 126, 132, 0.15)",
                        fill: true,
                        tension: 0.3,
                        pointRadius: 0,
                    },
                    {
                        label: _t("Upload"),
                        data: [],
                        borderColor: "#e46f4e",
                        backgroundColor: "rgba(228, 111, 78, 0.1)",
                        fill: true,
                        tension: 0.3,
                        pointRadius: 0,
                    },
                ],
            },
            options: {
                animation: false,
                maintainAspectRatio: false,
                interaction: { mode: "index", intersect: false },
                scales: {
                    y: {
                        beginAtZero: true,
                        ticks: { callback: (value) => formatBps(value) },
                    },
                },
                plugins: {
                    tooltip: {
                        callbacks: {
                            label: (item) => `${item.dataset.label}: ${formatBps(item.parsed.y)}`,
                        },
                    },
                },
            },
        });
    }

    async poll() {
        if (this.busy || this.state.paused) {
            return;
        }
        this.busy = true;
        try {
            const sample = await this.orm.call("isp.subscription", "isp_live_traffic_poll", [
                [this.subscriptionId],
            ]);
            this.addSample(sample);
        } catch (error) {
            this.state.error = error.data?.message || error.message || String(error);
            this.state.paused = true;
        } finally {
            this.busy = false;
        }
    }

    addSample(sample) {
        if (sample.title) {
            this.state.title = sample.title;
        }
        if (sample.error) {
            this.state.error = sample.error;
            return;
        }
        this.state.error = "";
        // On the subscriber's PPPoE interface the router receives (rx) what the
        // subscriber uploads and transmits (tx) what it downloads.
        this.state.download = sample.tx_bps;
        this.state.upload = sample.rx_bps;
        this.state.peakDownload = Math.max(this.state.peakDownload, sample.tx_bps);
        this.state.peakUpload = Math.max(this.state.peakUpload, sample.rx_bps);
        this.state.samples++;
        if (!this.chart) {
            return;
        }
        const data = this.chart.data;
        data.labels.push(new Date(sample.at).toLocaleTimeString());
        data.datasets[0].data.push(sample.tx_bps);
        data.datasets[1].data.push(sample.rx_bps);
        if (data.labels.length > MAX_POINTS) {
            data.labels.shift();
            data.datasets.forEach((dataset) => dataset.data.shift());
        }
        this.chart.update();
    }

    togglePause() {
        this.state.paused = !this.state.paused;
        if (!this.state.paused) {
            this.state.error = "";
            this.poll();
        }
    }
}

registry.category("actions").add("isp_network.live_traffic", LiveTrafficAction);
