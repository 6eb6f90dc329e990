// The user's classifications, newest first: thumbnails, more on scroll (cursor paging), delete, feedback.
import { api } from "../api.js";
import { formatDate, h, labelName, mount, percent, toast } from "../dom.js";
import { explain, sentence } from "../errors.js";
import { limits } from "../session.js";
import { feedbackControl } from "./feedback.js";
import { thumbnailLoader } from "./thumbnail.js";

const PAGE_SIZE = 20;

export function render(main) {
  const thumbnails = thumbnailLoader();
  let cursor = null;
  let loading = false;
  let finished = false;

  const list = h("ol", { class: "history-list", "aria-label": "Your classifications, newest first" });
  const status = h("p", { class: "history-status", role: "status" });
  const moreButton = h("button", { type: "button", class: "button secondary", hidden: true, onclick: () => loadMore() }, "Load more");
  const sentinel = h("div", { class: "sentinel", "aria-hidden": "true" });
  mount(
    main,
    h("section", { class: "history" }, h("h1", { tabindex: "-1" }, "History"), list, status, moreButton, sentinel),
  );

  const scrollObserver = new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) loadMore();
  }, { rootMargin: "400px" });
  scrollObserver.observe(sentinel);

  async function loadMore() {
    if (loading || finished) return;
    loading = true;
    moreButton.hidden = true;
    status.textContent = "Loading…";
    try {
      const page = await api.classifications({ limit: PAGE_SIZE, cursor });
      for (const item of page.items) list.append(row(item));
      cursor = page.nextCursor;
      finished = !cursor;
      status.textContent = list.children.length === 0 ? "" : finished ? "That is everything." : "";
      if (list.children.length === 0) showEmpty();
      moreButton.hidden = finished;
      moreButton.textContent = "Load more";
      if (!finished) {
        // re-observing reports the sentinel's current state: a short page leaves it in view, so load on
        scrollObserver.unobserve(sentinel);
        scrollObserver.observe(sentinel);
      }
    } catch (error) {
      status.textContent = sentence(explain(error, limits()));
      moreButton.hidden = false;
      moreButton.textContent = "Try again";
    } finally {
      loading = false;
    }
  }

  function showEmpty() {
    mount(status, "Nothing here yet. ", h("a", { href: "/", "data-link": true }, "Classify your first fruit"), ".");
  }

  function row(item) {
    const img = h("img", { alt: `Photo classified as ${labelName(item.label)}`, "data-src": item.imageUrl, width: "96", height: "96" });
    thumbnails.observe(img);
    const title = item.abstained ? (item.label === "not_fruit" ? "Not a fruit" : "Not sure") : labelName(item.label);
    const deleteArea = h("div", { class: "delete-area" });
    const element = h(
      "li",
      { class: "card history-item", "data-id": item.id },
      h("div", { class: "thumb" }, img),
      h(
        "div",
        { class: "history-body" },
        h("p", { class: "history-label" }, title, h("span", { class: "history-confidence" }, ` ${percent(item.confidence)}`)),
        h(
          "p",
          { class: "meta" },
          h("time", { datetime: item.createdAt }, formatDate(item.createdAt)),
          item.source === "mobile" ? " · from the mobile app" : "",
          item.secondOpinion?.label ? ` · second opinion: ${labelName(item.secondOpinion.label)}` : "",
        ),
        feedbackControl(item),
      ),
      deleteArea,
    );
    showDelete();
    return element;

    function showDelete() {
      mount(deleteArea, h("button", { type: "button", class: "button small danger-outline", "aria-label": `Delete ${title} from ${formatDate(item.createdAt)}`, onclick: confirmDelete }, "Delete"));
    }
    function confirmDelete() {
      const yes = h("button", { type: "button", class: "button small danger", onclick: remove }, "Yes, delete");
      mount(deleteArea, h("span", { class: "confirm-text" }, "Delete this?"), yes, h("button", { type: "button", class: "button small secondary", onclick: showDelete }, "Cancel"));
      yes.focus();
    }
    async function remove() {
      try {
        await api.deleteClassification(item.id);
        const next = element.nextElementSibling ?? element.previousElementSibling;
        element.remove();
        toast(`Deleted ${title}.`);
        (next?.querySelector("button") ?? main.querySelector("h1")).focus();
        if (list.children.length === 0 && finished) showEmpty();
      } catch (error) {
        toast(sentence(explain(error, limits())), "error");
        showDelete();
      }
    }
  }

  loadMore();

  return () => {
    scrollObserver.disconnect();
    thumbnails.dispose();
  };
}
