/* Service worker of the subscriber web app (served as /isp_portal/sw.js, scope /my/).
 *
 * It caches the shell's static files only: the asset bundles (/web/assets/..., their
 * URLs change with their content) and the modules' static files (/<module>/static/...).
 * Pages, JSON answers and anything else of a subscriber always go to the network and
 * are never stored.
 */
"use strict";

const CACHE = "isp-portal-shell-v1";

function isShellAsset(url) {
    if (url.origin !== self.location.origin) {
        return false;
    }
    return url.pathname.startsWith("/web/assets/") || /^\/[^/]+\/static\//.test(url.pathname);
}

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
    event.waitUntil(
        caches
            .keys()
            .then((names) =>
                Promise.all(
                    names
                        .filter((name) => name.startsWith("isp-portal-") && name !== CACHE)
                        .map((name) => caches.delete(name))
                )
            )
            .then(() => self.clients.claim())
    );
});

async function fromCacheOrNetwork(request) {
    const cache = await caches.open(CACHE);
    const cached = await cache.match(request);
    if (cached) {
        return cached;
    }
    const response = await fetch(request);
    if (response.ok && response.type === "basic") {
        const url = new URL(request.url);
        if (url.pathname.startsWith("/web/assets/")) {
            // /web/assets/<id>/<hash>/<bundle>: drop the bundle's older versions
            const name = url.pathname.split("/").pop();
            for (const key of await cache.keys()) {
                const old = new URL(key.url);
                if (old.pathname.startsWith("/web/assets/") && old.pathname.endsWith("/" + name)) {
                    await cache.delete(key);
                }
            }
        }
        await cache.put(request, response.clone());
    }
    return response;
}

async function fromNetworkOrCache(request) {
    const cache = await caches.open(CACHE);
    try {
        const response = await fetch(request);
        if (response.ok && response.type === "basic") {
            await cache.put(request, response.clone());
        }
        return response;
    } catch (error) {
        const cached = await cache.match(request);
        if (cached) {
            return cached;
        }
        throw error;
    }
}

self.addEventListener("fetch", (event) => {
    const request = event.request;
    if (request.method !== "GET" || request.mode === "navigate") {
        return; // pages: the network, never stored
    }
    const url = new URL(request.url);
    if (!isShellAsset(url)) {
        return;
    }
    // bundles are named after their content: the cache first; other static files may
    // change with an upgrade: the network first, the cache when offline
    event.respondWith(
        url.pathname.startsWith("/web/assets/")
            ? fromCacheOrNetwork(request)
            : fromNetworkOrCache(request)
    );
});
