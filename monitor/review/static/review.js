// Keyboard shortcuts for the review queue and item pages. Loaded as a file because the
// Content-Security-Policy forbids inline scripts.
"use strict";

(function () {
  const page = document.body.dataset.page;

  // Keys go to text fields when one has focus; a focused checkbox keeps the shortcuts.
  function typing(event) {
    const el = event.target;
    if (!(el instanceof HTMLElement)) return false;
    if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    return el.tagName === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(el.type);
  }

  function submitWith(form, key) {
    const button = form.querySelector(`button[data-key="${key}"]`);
    if (!button) return false;
    form.requestSubmit(button);
    return true;
  }

  function follow(selector) {
    const link = document.querySelector(selector);
    if (link) window.location.assign(link.href);
  }

  function setupQueue() {
    const rows = Array.from(document.querySelectorAll("tr[data-item]"));
    const bulk = document.getElementById("bulk");
    const selectAll = document.getElementById("select-all");
    const storageKey = "monitor.queue.cursor:" + window.location.pathname + window.location.search;
    let current = Math.min(Number(sessionStorage.getItem(storageKey) || 0), rows.length - 1);

    function box(row) { return row.querySelector("input[name=ids]"); }

    function show(index) {
      if (!rows.length) return;
      rows.forEach((row) => row.classList.remove("current"));
      current = Math.max(0, Math.min(index, rows.length - 1));
      rows[current].classList.add("current");
      rows[current].scrollIntoView({ block: "nearest" });
      sessionStorage.setItem(storageKey, String(current));
    }

    if (selectAll) {
      selectAll.addEventListener("change", () => {
        rows.forEach((row) => { box(row).checked = selectAll.checked; });
      });
    }
    rows.forEach((row, index) => row.addEventListener("click", () => show(index)));

    function decide(key) {
      if (!rows.length) return;
      if (!rows.some((row) => box(row).checked)) box(rows[current]).checked = true;
      submitWith(bulk, key);
    }

    show(current);
    return function (event) {
      switch (event.key) {
        case "j": show(current + 1); break;
        case "k": show(current - 1); break;
        case "x": if (rows.length) { const b = box(rows[current]); b.checked = !b.checked; } break;
        case "Enter": if (event.target.closest("a, button")) return false; // native action
        // falls through
        case "o": if (rows.length) follow(`tr[data-item="${rows[current].dataset.item}"] a.open`); break;
        case "r": case "n": case "e": case "u": decide(event.key); break;
        case "[": follow("a[rel=prev]"); break;
        case "]": follow("a[rel=next]"); break;
        case "/": document.getElementById("search").focus(); break;
        default: return false;
      }
      return true;
    };
  }

  function setupItem() {
    const form = document.getElementById("decide");
    return function (event) {
      switch (event.key) {
        case "r": case "n": case "e": case "u": submitWith(form, event.key); break;
        case "b": case "Escape": follow("#back"); break;
        default: return false;
      }
      return true;
    };
  }

  const handler = page === "queue" ? setupQueue() : page === "item" ? setupItem() : null;

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
    if (event.key === "?") {
      const keys = document.getElementById("keys");
      if (keys) keys.hidden = !keys.hidden;
      event.preventDefault();
      return;
    }
    if (handler && handler(event)) event.preventDefault();
  });
})();
