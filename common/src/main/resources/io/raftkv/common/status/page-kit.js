"use strict";
// What every raftkv status page shares; StatusPage.load writes it into each page, so a page stays one file.

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "class") node.className = value; else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

// A replica group's colour, the same on every page; a multiplicative hash spreads gids like 100, 200, 300 apart.
function colour(gid) {
  return "hsl(" + ((Math.imul(Number(gid), 0x9E3779B1) >>> 0) % 360) + ", 55%, 42%)";
}

// Fetches url every intervalMs and draws it with render; each success counts in the body's data-refreshes and shows
// its time in #updated, each failure goes to onFailure (the page keeps what it drew last).
function startPolling(url, intervalMs, render, onFailure) {
  async function poll() {
    try {
      const reply = await fetch(url, {cache: "no-store"});
      if (!reply.ok) throw new Error("HTTP " + reply.status);
      render(await reply.json());
      document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes) + 1);
      document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
    } catch (e) {
      onFailure(e);
    }
    setTimeout(poll, intervalMs);
  }
  poll();
}
