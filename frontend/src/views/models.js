// The organisation's own models, for its admins (docs/models.md): add a version (upload with progress), follow its
// validation until the validation function decides ready or rejected, and choose what serves the org: pin, roll
// back, roll out to a share of its users. Everyone else is told who can.
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { explain, sentence } from "../errors.js";
import { isOrgAdmin, session } from "../session.js";
import { uploadForm } from "./model-upload.js";
import { servingSummary, versionFigures, versionList } from "./model-versions.js";

// While a version is validating the list is read again this often (the validation function takes seconds).
const POLL_MS = 2000;

const ACTIONS = {
  pin: (orgId, version) => api.pinModel(orgId, version).then(() => `${version} now serves your organisation.`),
  rollback: (orgId) => api.rollBackModel(orgId).then(({ serving }) => `Rolled back: ${serving} serves your organisation again.`),
  rollout: (orgId, version, share) => api.startRollout(orgId, version, share).then(() => `${version} now serves ${share}% of your users.`),
  delete: (orgId, version) => api.deleteModel(orgId, version).then(() => `${version} was deleted; the history it made stays.`),
  "stop-rollout": (orgId) => api.stopRollout(orgId).then(() => "The rollout stopped: everyone gets the pinned version."),
  "choose-shipped": (orgId, modelId) =>
    api
      .updateOrg(orgId, { modelId })
      .then(() => `${modelId ?? "The default model"} serves your organisation whenever no version is pinned.`),
};

/** The shipped models an admin may choose (GET /api/model) and the org's choice (null: the default). */
async function shippedModels(orgId) {
  const [model, org] = await Promise.all([api.model(), api.org(orgId)]);
  return { available: model.available, defaultId: model.id, chosen: org.modelId ?? null };
}

export function render(main) {
  if (!isOrgAdmin()) {
    mount(main, h("h1", { tabindex: "-1" }, "Models"), h("p", {}, "Only an organisation's admins manage its models."));
    return null;
  }
  const orgId = session.me.org;
  const listHolder = h("div", { class: "model-list", "aria-live": "polite" }, h("p", { class: "loading", role: "status" }, "Loading the versions…"));
  let openVersion = null;
  let timer = null;
  let left = false;
  // Read when the page opens and after a choice, not on every 2-s poll of a validating version (it changes only so).
  let shipped = shippedModels(orgId).catch(() => null);

  async function act(action, version, share) {
    try {
      toast(await ACTIONS[action](orgId, version, share));
    } catch (error) {
      toast(sentence(explain(error)), "error");
    }
    if (action === "choose-shipped") shipped = shippedModels(orgId).catch(() => null);
    await refresh();
  }

  async function refresh() {
    clearTimeout(timer);
    let listing, stats, shippedNow;
    try {
      // the figures and the shipped models are a help, not a must: an org without them still manages its versions
      [listing, stats, shippedNow] = await Promise.all([api.orgModels(orgId), api.orgStats(orgId).catch(() => null), shipped]);
    } catch (error) {
      if (!left) mount(listHolder, h("p", { class: "error-text", role: "alert" }, sentence(explain(error))));
      return;
    }
    if (left) return;
    mount(listHolder, servingSummary(listing, act, shippedNow), stats ? versionFigures(stats.models) : null, versionList(listing, act, { openVersion }));
    if (listing.versions?.some((version) => version.status === "validating")) timer = setTimeout(refresh, POLL_MS);
  }

  mount(
    main,
    h(
      "section",
      { class: "models" },
      h("h1", { tabindex: "-1" }, "Models"),
      h("p", { class: "hint" }, `Your organisation (${orgId}) can run its own classifier: upload a version, check its report, then pin it or roll it out to some of your users first.`),
      uploadForm({
        orgId,
        onRegistered: (registered) => {
          openVersion = registered.version;
          refresh();
        },
      }),
      listHolder,
    ),
  );
  refresh();
  return () => {
    left = true;
    clearTimeout(timer);
  };
}
