// "Per 100 g": what the fruit is good for, from the nutrition catalog (functions/catalog/nutrition.json, served
// as /catalog/nutrition.json and kept by the service worker, so it shows offline too), citing source and licence.
import { h, labelName, mount } from "../dom.js";

const ROWS = [
  ["energy_kcal", "Energy"],
  ["sugars_g", "Sugars"],
  ["fibre_g", "Fibre"],
  ["vitamin_c_mg", "Vitamin C"],
  ["potassium_mg", "Potassium"],
  ["protein_g", "Protein"],
];

let catalogRequest = null;
/** The catalog, fetched once; a failed fetch is tried again next time. */
function catalog() {
  catalogRequest ??= fetch("/catalog/nutrition.json")
    .then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.json();
    })
    .catch((error) => {
      catalogRequest = null;
      throw error;
    });
  return catalogRequest;
}

function table(label, entry, { units, basis, source }) {
  const value = (key) => {
    const amount = entry.per100g[key];
    return amount === null || amount === undefined ? "not listed" : `${amount.toLocaleString()} ${units[key]}`;
  };
  return [
    h("h3", {}, `${labelName(label)}: ${basis}`),
    h(
      "table",
      { class: "nutrition-table" },
      h("caption", { class: "visually-hidden" }, `Nutrition of ${labelName(label)} ${basis}`),
      h("tbody", {}, ROWS.map(([key, name]) => h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, value(key))))),
    ),
    entry.note ? h("p", { class: "meta" }, entry.note) : null,
    h(
      "p",
      { class: "meta source" },
      `Figures for “${entry.food}” from `,
      h("a", { href: source.url, rel: "noopener", target: "_blank" }, source.name),
      `, ${source.publisher}. ${source.licence}.`,
    ),
  ];
}

/** A section that fills itself with the label's nutrition, or removes itself when there is none. */
export function nutritionPanel(label) {
  const section = h("section", { class: "nutrition", "aria-label": "Nutrition", "data-testid": "nutrition" });
  catalog()
    .then((data) => {
      const entry = data.fruits[label];
      if (entry) mount(section, table(label, entry, data));
      else section.remove();
    })
    .catch(() => section.remove()); // nice to have: the answer stands without it
  return section;
}
