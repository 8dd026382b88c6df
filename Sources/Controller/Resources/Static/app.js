// Testfleet web UI: live updates over server-sent events, the product → tool selector, copy buttons, delete
// confirmations and tests' output on demand.
// Every page works without this script; it only keeps pages current and saves a round trip.
"use strict";

document.documentElement.classList.add("js");

// Live updates: the page's <main data-events="URL"> names a stream of server-sent events.
// "regions" replaces the HTML of elements by id (rendered and escaped by the server),
// "log" appends text to the log, "log-reset" starts the log of a new attempt, "end" closes the stream.
// EventSource reconnects by itself when the controller restarts (the server sends "retry:").
// A region with a form the user has started to fill in is left alone: replacing it would undo the input. The
// page comes back current once the form is sent.
function isBeingEdited(element) {
  const active = document.activeElement;
  if (active && element.contains(active) && active.matches("input:not([type=hidden]), select, textarea")) {
    return true;
  }
  for (const control of element.querySelectorAll("input, select, textarea")) {
    if (control.type === "hidden") continue;
    if (control.type === "checkbox" || control.type === "radio") {
      if (control.checked !== control.defaultChecked) return true;
    } else if (control.tagName === "SELECT") {
      for (const option of control.options) if (option.selected !== option.defaultSelected) return true;
    } else if (control.value !== control.defaultValue) {
      return true;
    }
  }
  return false;
}

function followEvents(url) {
  const source = new EventSource(url);
  source.addEventListener("regions", (event) => {
    const regions = JSON.parse(event.data);
    for (const [id, html] of Object.entries(regions)) {
      const element = document.getElementById(id);
      if (element && !isBeingEdited(element)) element.innerHTML = html;
    }
  });
  const log = document.getElementById("log");
  const follow = document.getElementById("log-follow");
  const scrollLog = () => {
    if (log && (!follow || follow.checked)) log.scrollTop = log.scrollHeight;
  };
  source.addEventListener("log", (event) => {
    if (!log) return;
    log.append(JSON.parse(event.data).text);
    scrollLog();
  });
  source.addEventListener("log-reset", (event) => {
    if (!log) return;
    const data = JSON.parse(event.data);
    log.textContent = "";
    const attempt = document.getElementById("log-attempt");
    if (attempt) attempt.textContent = data.attempt;
    const raw = document.getElementById("log-raw");
    if (raw) raw.href = data.raw;
    const waiting = document.getElementById("log-waiting");
    if (waiting) waiting.hidden = true;
  });
  source.addEventListener("end", () => source.close());
  scrollLog();
}

// The submit form: choosing a product lists only the tools linked to it.
function linkToolSelector(product, tool) {
  const fill = (label, items) => {
    tool.replaceChildren(new Option(label, ""));
    for (const item of items) tool.append(new Option(`${item.name} ${item.version}`, item.id));
    if (items.length === 1) tool.value = String(items[0].id);
  };
  product.addEventListener("change", async () => {
    if (!product.value) return fill("Choose a product first", []);
    fill("Loading tools…", []);
    try {
      const response = await fetch(`/api/v1/products/${encodeURIComponent(product.value)}/tools`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const { items } = await response.json();
      fill(items.length ? "Choose a tool" : "No tool is linked to this product", items);
    } catch (error) {
      fill(`Cannot load the tools (${error.message})`, []);
    }
  });
}

// Copy buttons: <button data-copy="ELEMENT-ID" hidden> copies that element's text.
function enableCopyButtons() {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    if (!navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      const text = document.getElementById(button.dataset.copy)?.textContent ?? "";
      await navigator.clipboard.writeText(text.trim());
      button.textContent = "Copied";
    });
  }
}

// A test's output, shown where it is asked for: <details data-output="URL"> loads the test as JSON when it is
// first opened. Without this script the details hold a link to the test's own page.
function loadOutputOnDemand() {
  for (const details of document.querySelectorAll("details[data-output]")) {
    details.addEventListener("toggle", async () => {
      if (!details.open || details.dataset.loaded) return;
      details.dataset.loaded = "true";
      const pre = details.querySelector("pre");
      pre.textContent = "Loading…";
      try {
        const response = await fetch(details.dataset.output, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const test = await response.json();
        pre.textContent = test.output || "(no output)";
      } catch (error) {
        delete details.dataset.loaded;
        pre.textContent = `Cannot load the output (${error.message})`;
      }
    });
  }
}

// Forms with data-confirm ask before they are sent (deleting a product or a tool).
function confirmForms() {
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
}

// What only a page without this script needs (the submit form's "Show its tools" round trip) goes away, so
// that pressing Enter in a form submits it rather than that button.
function removeNoScriptParts() {
  for (const element of document.querySelectorAll(".no-js")) element.remove();
}

document.addEventListener("DOMContentLoaded", () => {
  removeNoScriptParts();
  const live = document.querySelector("[data-events]");
  if (live) followEvents(live.dataset.events);
  const product = document.getElementById("product");
  const tool = document.getElementById("tool");
  if (product && tool && product.dataset.toolsFor === tool.id) linkToolSelector(product, tool);
  enableCopyButtons();
  confirmForms();
  loadOutputOnDemand();
});
