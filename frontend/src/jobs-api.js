// The org's bulk jobs through /api/orgs/<org>/jobs (org admins only; the server decides).
import { send } from "./api.js";

const jobs = (orgId) => `/api/orgs/${encodeURIComponent(orgId)}/jobs`;
const job = (orgId, jobId) => `${jobs(orgId)}/${encodeURIComponent(jobId)}`;

export const jobsApi = {
  list: (orgId) => send("GET", jobs(orgId)),
  get: (orgId, jobId) => send("GET", job(orgId, jobId)),
  /** body: {prefix} or {kind: "reclassify", modelVersion}, with chunkSize and secondOpinion optional */
  start: (orgId, body) => send("POST", jobs(orgId), { json: body }),
  cancel: (orgId, jobId) => send("POST", `${job(orgId, jobId)}/cancel`),
  resume: (orgId, jobId) => send("POST", `${job(orgId, jobId)}/resume`),
  /** The results as a Blob: the endpoint needs the Authorization header, so no plain link. */
  results: (orgId, jobId, format) => send("GET", `${job(orgId, jobId)}/results?format=${format}`, { responseType: "blob" }),
};
