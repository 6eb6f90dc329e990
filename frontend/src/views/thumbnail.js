// Images of past classifications need the Authorization header, so they are fetched as blobs and shown
// through object URLs, only when they scroll into view, and released when the view goes away.
import { api } from "../api.js";

export function thumbnailLoader() {
  const urls = new Set();
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        observer.unobserve(entry.target);
        load(entry.target);
      }
    },
    { rootMargin: "200px" },
  );

  async function load(img) {
    try {
      const url = URL.createObjectURL(await api.image(img.dataset.src));
      urls.add(url);
      img.src = url;
    } catch {
      img.closest(".thumb")?.classList.add("thumb-missing");
    }
  }

  return {
    observe: (img) => observer.observe(img),
    dispose() {
      observer.disconnect();
      for (const url of urls) URL.revokeObjectURL(url);
      urls.clear();
    },
  };
}
