// The user's classifications, newest first: thumbnails, more on scroll (cursor paging), delete, feedback.
// Above them, photos classified on this device while offline that wait to upload; once they are uploaded the
// list reloads, so each shows up once, with the server's answer.
import { api } from "../api.js";
import { formatDate, h, labelName, mount, percent, toast } from "../dom.js";
import { explain, sentence } from "../errors.js";
import { pending, QUEUE_CHANGED } from "../offline/queue.js";
import { limits, session } from "../session.js";
import { verdictText } from "../verdict.js";
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
  const waiting = h("section", { class: "waiting", "aria-label": "Waiting to upload", hidden: true });
  mount(
    main,
    h("section", { class: "history" }, h("h1", { tabindex: "-1" }, "History"), waiting, list, status, moreButton, sentinel),
  );

  const waitingUrls = [];
  async function showWaiting() {
    const items = await pending(session.user.uid).catch(() => []);
    waitingUrls.splice(0).forEach((url) => URL.revokeObjectURL(url));
    waiting.hidden = items.length === 0;
    mount(
      waiting,
      h("h2", {}, "Waiting to upload"),
      h("p", { class: "meta" }, "Classified on this device while offline; they go to the server when you are back online."),
      h("ol", { class: "history-list" }, items.map(waitingRow)),
    );
  }
  function waitingRow(item) {
    const url = URL.createObjectURL(item.blob);
    waitingUrls.push(url);
    const answer = item.device;
    const title = answer ? verdictText(answer) : "Not classified yet";
    return h(
      "li",
      { class: "card history-item waiting-item", "data-client-id": item.clientId },
      h("div", { class: "thumb" }, h("img", { src: url, alt: `Photo waiting to upload: ${title}`, width: "96", height: "96" })),
      h(
        "div",
        { class: "history-body" },
        h("p", { class: "history-label" }, title, answer ? h("span", { class: "history-confidence" }, ` ${percent(answer.confidence)}`) : ""),
        h("p", { class: "meta" }, h("time", { datetime: item.createdAt }, formatDate(item.createdAt)), " · on this device, waiting to upload"),
      ),
    );
  }
  // a photo left the queue: it is on the server now, and in the list once it reloads
  const onQueueChanged = () => {
    showWaiting();
    reload();
  };
  window.addEventListener(QUEUE_CHANGED, onQueueChanged);

  let generation = 0; // a reload makes pages still in flight stale
  function reload() {
    generation++;
    list.replaceChildren();
    cursor = null;
    finished = false;
    loading = false;
    loadMore();
  }

  const scrollObserver = new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) loadMore();
  }, { rootMargin: "400px" });
  scrollObserver.observe(sentinel);

  async function loadMore() {
    if (loading || finished) return;
    loading = true;
    moreButton.hidden = true;
    status.textContent = "Loading…";
    const asked = generation;
    try {
      const page = await api.classifications({ limit: PAGE_SIZE, cursor });
      if (asked !== generation) return;
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
      if (asked !== generation) return;
      status.textContent = sentence(explain(error, limits()));
      moreButton.hidden = false;
      moreButton.textContent = "Try again";
    } finally {
      if (asked === generation) loading = false;
    }
  }

  function showEmpty() {
    mount(status, "Nothing here yet. ", h("a", { href: "/", "data-link": true }, "Classify your first fruit"), ".");
  }

  function row(item) {
    const img = h("img", { alt: `Photo classified as ${labelName(item.label)}`, "data-src": item.imageUrl, width: "96", height: "96" });
    thumbnails.observe(img);
    const title = verdictText(item);
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

  showWaiting();
  loadMore();

  return () => {
    window.removeEventListener(QUEUE_CHANGED, onQueueChanged);
    waitingUrls.forEach((url) => URL.revokeObjectURL(url));
    scrollObserver.disconnect();
    thumbnails.dispose();
  };
}
