// Tiny DOM helpers: build elements without innerHTML (so no user text is ever parsed as HTML).

/**
 * h("button", {class: "primary", onclick: fn}, "Save") -> <button class="primary">Save</button>
 * Attributes starting with "on" become listeners; `true` sets a boolean attribute; null/false/undefined skip it.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name === "style" && typeof value === "object") Object.assign(element.style, value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the children of `parent`. */
export function mount(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
  return parent;
}

let idCounter = 0;
/** A unique id for label/aria wiring. */
export const uid = (prefix = "id") => `${prefix}-${++idCounter}`;

/** "not_fruit" -> "Not a fruit", "green_apple" -> "Green apple". */
export function labelName(label) {
  if (!label) return "Unknown";
  if (label === "not_fruit") return "Not a fruit";
  const words = String(label).replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export const percent = (p) => `${Math.round((Number(p) || 0) * 100)}%`;

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
export const formatDate = (iso) => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : dateFormat.format(date);
};

/** Short-lived message for screen readers and sighted users alike (the container is aria-live). */
export function toast(message, kind = "info") {
  const container = document.getElementById("toasts");
  // the container is a polite live region; an error interrupts instead
  const item = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : null }, message);
  container.append(item);
  setTimeout(() => item.remove(), 6000);
}
