// "Is this right?": confirm the label, or pick the right one from the model's labels. Shared by the result
// card and the history list.
import { api } from "../api.js";
import { h, labelName, mount, uid } from "../dom.js";
import { explain, sentence } from "../errors.js";
import { limits } from "../session.js";

/**
 * @param {object} classification
 */
export function feedbackControl(classification) {
  // a live region that stays while its content changes, so "Thanks!" is announced
  const root = h("div", { class: "feedback", role: "group", "aria-label": "Feedback on this answer", "aria-live": "polite" });
  let current = classification;

  async function save(body) {
    for (const control of root.querySelectorAll("button, select")) control.disabled = true;
    try {
      current = await api.feedback(current.id, body);
      showSaved(true);
    } catch (error) {
      showAsk(sentence(explain(error, limits())));
    }
  }

  function showSaved(justSaved = false) {
    const { feedback } = current;
    const text = feedback.correct ? "You confirmed this answer." : `You said it is: ${labelName(feedback.label)}.`;
    mount(
      root,
      h("p", { class: "feedback-done" }, h("span", { "aria-hidden": "true" }, "✓ "), text, justSaved ? " Thanks!" : ""),
      h("button", { type: "button", class: "link-button", onclick: () => showAsk() }, "Change"),
    );
  }

  function showAsk(errorText = "") {
    const selectId = uid("label");
    const notFruit = current.abstained && current.label === "not_fruit";
    const select = h("select", { id: selectId }, h("option", { value: "" }, "Choose the right label…"));
    const loadChoices = async () => {
      if (select.options.length > 1) return;
      // the item's own model's labels: an org's version has its own, and the default model may have changed since
      const { labels } = await api.correctionLabels(current.id);
      // a plain answer (or "not a fruit") need not be offered as its own correction; a "not sure" guess may be
      const choices = labels.filter((label) => label !== current.label || (current.abstained && !notFruit));
      select.append(...choices.map((label) => h("option", { value: label }, labelName(label))));
    };
    const correction = h(
      "form",
      {
        class: "feedback-correction",
        hidden: true,
        onsubmit: (event) => {
          event.preventDefault();
          if (select.value) save({ label: select.value });
          else select.focus();
        },
      },
      h("label", { for: selectId }, "It is actually"),
      select,
      h("button", { type: "submit", class: "button small primary" }, "Save correction"),
    );
    const question = notFruit ? "Is it really not a fruit?" : current.abstained ? "Do you know what it is?" : "Is this right?";
    // "not sure" has nothing to confirm; "not a fruit" and a plain answer do
    const confirm = notFruit
      ? h("button", { type: "button", class: "button small primary", onclick: () => save({ label: "not_fruit" }) }, "Right, not a fruit")
      : current.abstained
        ? null
        : h("button", { type: "button", class: "button small primary", onclick: () => save({ correct: true }) }, "Yes, correct");
    mount(
      root,
      h(
        "div",
        { class: "feedback-ask" },
        h("span", { class: "feedback-question" }, question),
        confirm,
        h(
          "button",
          {
            type: "button",
            class: "button small secondary",
            "aria-expanded": "false",
            onclick: async (event) => {
              const toggle = event.currentTarget;
              if (correction.hidden) {
                try {
                  await loadChoices();
                } catch (error) {
                  showAsk(sentence(explain(error, limits())));
                  return;
                }
              }
              correction.hidden = !correction.hidden;
              toggle.setAttribute("aria-expanded", String(!correction.hidden));
              if (!correction.hidden) select.focus();
            },
          },
          current.abstained && !notFruit ? "Tell us" : "No, it is…",
        ),
      ),
      correction,
      errorText ? h("p", { class: "error-text", role: "alert" }, errorText) : null,
    );
  }

  if (current.feedback) showSaved();
  else showAsk();
  return root;
}
