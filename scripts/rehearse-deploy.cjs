// Rehearses `firebase deploy` offline with firebase-tools' own code (the pinned package in node_modules), so that
// anything a real `firebase deploy` with scripts/deploy's flags would throw fails here first:
//   functions: discovery through the SDK's admin server in functions/venv (firebase-tools' Python delegate, which
//              runs `python3.11` inside the venv), the build's params and settings, validation, the prompts a
//              non-interactive deploy meets (failure policies, minimum-instance bill, deletions, unsafe updates,
//              declarative security, secrets), the source upload's packing, and the release's cleanup-policy step;
//   hosting:   `hosting:sites:create` on a project without a site (as scripts/deploy runs it), the deploy command's
//              own default-site check, and the config conversion deploy sends (the /api rewrite to the function
//              in its region, the headers).
// Google is not reachable: every Google API call goes to the stand-in below, which answers as a new project
// set up as docs/deploy.md says would, and fails the rehearsal on any call it does not know. Creating the
// functions themselves (Cloud Build, Cloud Run) is the one step stood in for as a whole.
//   node scripts/rehearse-deploy.cjs <project-id> [--setting KEY=VALUE ...] [--functions-out FILE] -- <deploy flags>
// scripts/deploy runs it (before every deploy, and alone with --rehearse) with the flags it deploys functions with;
// --functions-out writes the functions the deploy would leave, which scripts/deploy compares with what is deployed.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { stripVTControlCharacters } = require("node:util");

const ROOT = path.resolve(__dirname, "..");
// firebase-tools keeps a cache (e.g. of APIs it found on) in its config store: the rehearsal's own, thrown away.
process.env.XDG_CONFIG_HOME = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "rehearse-deploy-"));
process.on("exit", () => fs.rmSync(process.env.XDG_CONFIG_HOME, { recursive: true, force: true }));
const LIB = path.join(ROOT, "node_modules", "firebase-tools", "lib");
const lib = (name) => require(path.join(LIB, name));

function parseArgs(argv) {
  const usage = "usage: rehearse-deploy.cjs <project-id> [--setting KEY=VALUE ...] [--functions-out FILE] -- <deploy flags>";
  const split = argv.indexOf("--");
  const [own, flags] = split === -1 ? [argv, []] : [argv.slice(0, split), argv.slice(split + 1)];
  const args = { projectId: own[0], settings: {}, functionsOut: null, nonInteractive: false, force: false };
  if (!args.projectId || args.projectId.startsWith("-")) throw new Error(usage);
  for (let i = 1; i < own.length; i += 2) {
    const [option, value = ""] = [own[i], own[i + 1]];
    if (option === "--setting" && /^[A-Z_]+=/.test(value)) {
      const [key, ...rest] = value.split("=");
      args.settings[key] = rest.join("=");
    } else if (option === "--functions-out" && value) {
      args.functionsOut = value;
    } else {
      throw new Error(usage);
    }
  }
  const known = { "--non-interactive": "nonInteractive", "--force": "force" };
  for (const flag of flags) {
    if (!(flag in known)) throw new Error(`the rehearsal does not know the deploy flag ${flag}`);
    args[known[flag]] = true;
  }
  return args;
}

/** A new project, answering the calls deploy makes, remembering what the deploy creates. */
class StandInGoogle {
  constructor(projectId, region, settings) {
    this.projectId = projectId;
    this.region = region;
    this.bucket = `${projectId}.firebasestorage.app`;
    this.useSecret = settings.USE_OPENAI_SECRET === "true";
    this.artifactRepos = {}; // created by the first functions build, with no cleanup policy
    this.answered = new Set();
    this.enabledApis = new Set();
    this.sites = []; // a new project has no Hosting site
  }

  site(method, projectId, query) {
    if (method === "GET") return { sites: this.sites };
    const siteId = query.get("siteId");
    if (query.get("validateOnly") !== "true") {
      // The first site of a project is its default site.
      const type = this.sites.length ? "USER_SITE" : "DEFAULT_SITE";
      this.sites.push({ name: `projects/${this.projectId}/sites/${siteId}`, defaultUrl: `https://${siteId}.web.app`, type });
    }
    return { name: `projects/${projectId}/sites/${siteId}`, defaultUrl: `https://${siteId}.web.app` };
  }

  enable(api) {
    this.enabledApis.add(api);
    return { done: true };
  }

  answer(method, url, body, query) {
    const p = this.projectId;
    const defaultSite = this.sites.find((site) => site.type === "DEFAULT_SITE");
    const routes = [
      // A new project has the APIs off; deploy turns on those it needs (never the retired Runtime Config).
      [/serviceusage\.googleapis\.com\/v1\/projects\/[^/]+\/services\/([^/:]+):enable$/, (m) => this.enable(m[1]), "turning APIs on"],
      [/serviceusage\.googleapis\.com\/v1beta1\/projects\/[^/]+\/services\/([^/:]+):generateServiceIdentity$/, () => ({ done: true }), "service agents"],
      [/serviceusage\.googleapis\.com\/v1\/projects\/[^/]+\/services\/([^/:]+)$/, (m) => ({ state: this.enabledApis.has(m[1]) ? "ENABLED" : "DISABLED" }), "which APIs are on"],
      [/firebase\.googleapis\.com\/v1beta1\/projects\/[^/]+\/adminSdkConfig$/, () => ({ projectId: p, storageBucket: this.bucket }), "the Firebase config (Storage set up: docs/deploy.md step 4)"],
      [/firebase\.googleapis\.com\/v1beta1\/projects\/[^/]+$/, () => ({ projectId: p, projectNumber: "123456789012", resources: { storageBucket: this.bucket, ...(defaultSite && { hostingSite: defaultSite.name.split("/").pop() }) } }), "the Firebase project"],
      [/firebasehosting\.googleapis\.com\/v1beta1\/projects\/([^/]+)\/sites$/, (m) => this.site(method, m[1], query), "Hosting sites (none in a new project)"],
      // No function deployed yet.
      [/cloudfunctions\.googleapis\.com\/v1\/projects\/[^/]+\/locations\/-\/functions/, () => ({ functions: [] }), "no 1st-gen functions"],
      [/cloudfunctions\.googleapis\.com\/v2\/projects\/[^/]+\/locations\/-\/functions/, () => ({ functions: [] }), "no 2nd-gen functions"],
      [/run\.googleapis\.com\/v[12]\/projects\/[^/]+\/locations\/[^/]+\/services/, () => ({ services: [] }), "no Cloud Run services"],
      [/cloudfunctions\.googleapis\.com\/v2\/projects\/[^/]+\/locations$/, () => ({ locations: [{ locationId: this.region }] }), "function regions"],
      // The default bucket, in the functions' region (docs/deploy.md step 4).
      [/storage\.googleapis\.com\/storage\/v1\/b\/([^/?]+)$/, () => ({ name: this.bucket, location: this.region.toUpperCase() }), "the default bucket's region"],
      [/storage\.googleapis\.com\/storage\/v1\/projects\/[^/]+\/serviceAccount$/, () => ({ email_address: `service-123456789012@gs-project-accounts.iam.gserviceaccount.com` }), "the Storage service agent"],
      [/cloudresourcemanager\.googleapis\.com\/v1\/projects\/[^/:]+$/, () => ({ projectId: p, projectNumber: "123456789012" }), "the Google Cloud project"],
      [/cloudresourcemanager\.googleapis\.com\/v1\/projects\/[^/]+:getIamPolicy$/, () => ({ bindings: [], etag: "e" }), "the project's IAM policy"],
      [/cloudresourcemanager\.googleapis\.com\/v1\/projects\/[^/]+:setIamPolicy$/, () => body.policy, "IAM grants for the service agents"],
      [/cloudresourcemanager\.googleapis\.com\/v1\/projects\/[^/]+:testIamPermissions$/, () => ({ permissions: body.permissions }), "IAM permissions of the deployer"],
      // The secret exists when USE_OPENAI_SECRET is set (docs/deploy.md section 3: set it first).
      [/secretmanager\.googleapis\.com\/v1\/projects\/[^/]+\/secrets\/([^/]+)\/versions\/latest$/, () => this.secret("latest"), "the OpenAI secret, set before the deploy"],
      [/secretmanager\.googleapis\.com\/v1\/projects\/[^/]+\/secrets\/([^/]+)\/versions\/(\d+)$/, (m) => this.secret(m[2]), "the OpenAI secret, set before the deploy"],
      [/secretmanager\.googleapis\.com\/v1\/projects\/[^/]+\/secrets\/([^/]+)$/, (m) => this.secret(null, m[1]), "the OpenAI secret, set before the deploy"],
      // The image repository the first build creates: no cleanup policy until deploy or setpolicy adds one.
      [/artifactregistry\.googleapis\.com\/v1\/projects\/[^/]+\/locations\/([^/]+)\/repositories\/gcf-artifacts$/, (m) => this.repository(method, m[1], body), "the image repository the first build created"],
    ];
    for (const [pattern, reply, what] of routes) {
      const match = url.match(pattern);
      if (match) {
        this.answered.add(what);
        return reply(match);
      }
    }
    throw new Error(`rehearsal: deploy called ${method} ${url}, which the stand-in for Google does not answer; add what a new project answers (scripts/rehearse-deploy.cjs)`);
  }

  secret(version, name = "OPENAI_API_KEY") {
    if (!this.useSecret) throw Object.assign(new Error("secret not found"), { status: 404 });
    const secretName = `projects/${this.projectId}/secrets/${name}`;
    return version ? { name: `${secretName}/versions/1`, state: "ENABLED" } : { name: secretName, replication: { automatic: {} } };
  }

  repository(method, location, body) {
    const repo = this.artifactRepos[location];
    if (!repo) throw Object.assign(new Error(`repository gcf-artifacts in ${location} not found`), { status: 404 });
    if (method === "PATCH") Object.assign(repo, body);
    return repo;
  }

  functionsBuilt(locations) {
    for (const location of locations) {
      this.artifactRepos[location] ??= { name: `projects/${this.projectId}/locations/${location}/repositories/gcf-artifacts`, format: "DOCKER" };
    }
  }
}

function installStandIn(google) {
  const apiv2 = lib("apiv2");
  apiv2.Client.prototype.request = async function request(reqOptions) {
    const url = this.requestURL({ ...reqOptions, path: reqOptions.path.startsWith("/") ? reqOptions.path : `/${reqOptions.path}` });
    try {
      return { status: 200, response: {}, body: google.answer(reqOptions.method, url, reqOptions.body, new URLSearchParams(reqOptions.queryParams ?? {})) };
    } catch (err) {
      if (err.status) throw new (lib("error").FirebaseError)(err.message, { status: err.status, original: err });
      throw err;
    }
  };
  // Creating the functions (Cloud Build, Artifact Registry, Cloud Run, Eventarc) is stood in for as a whole:
  // every function is created, and the build has created the image repository of each region.
  const fabricator = lib("deploy/functions/release/fabricator");
  fabricator.Fabricator.prototype.applyPlan = async function applyPlan(plan) {
    const results = [];
    for (const codebasePlan of Object.values(plan)) {
      for (const changes of Object.values(codebasePlan.regionalChangesets)) {
        for (const endpoint of [...changes.endpointsToCreate, ...changes.endpointsToUpdate.map((u) => u.endpoint)]) {
          results.push({ endpoint, durationMs: 0 });
        }
        for (const endpoint of changes.endpointsToDelete) results.push({ endpoint, durationMs: 0 });
      }
    }
    google.functionsBuilt([...new Set(results.map((r) => r.endpoint.region))]);
    google.answered.add("creating the functions (Cloud Build, Cloud Run)");
    return { totalTime: 0, results };
  };
}

function showLogs() {
  const { logger } = lib("logger");
  const winston = require(path.join(ROOT, "node_modules", "winston"));
  logger.add(
    new winston.transports.Console({
      level: "info",
      format: winston.format.printf((info) => {
        const segments = [info.message, ...(info[Symbol.for("splat")] || [])].filter((s) => typeof s === "string");
        return `    ${stripVTControlCharacters(segments.join(" "))}`;
      }),
    }),
  );
}

async function rehearse(args) {
  const { Config } = lib("config");
  const prepare = lib("deploy/functions/prepare");
  const release = lib("deploy/functions/release/index");
  const { hostingConfig } = lib("hosting/config");
  const { convertConfig } = lib("deploy/hosting/convertConfig");
  const functionsEnv = lib("functions/env");

  const json = JSON.parse(fs.readFileSync(path.join(ROOT, "firebase.json"), "utf8"));
  if (args.settings.REGION) {
    // A REGION setting comes with the same region in firebase.json's /api rewrite (docs/deploy.md, step 8).
    for (const rewrite of json.hosting.rewrites) if (rewrite.function) rewrite.function.region = args.settings.REGION;
  }
  const config = new Config(json, { projectDir: ROOT, cwd: ROOT });
  const userEnvOpt = { functionsSource: path.join(ROOT, "functions"), projectId: args.projectId, projectDir: ROOT };
  const settings = { ...functionsEnv.loadUserEnvs(userEnvOpt), ...args.settings };
  const region = settings.REGION || "us-central1";
  // A variant's settings stand for lines in functions/.env.<project-id>: what deploy reads when it imports main.py.
  const loadUserEnvs = functionsEnv.loadUserEnvs;
  functionsEnv.loadUserEnvs = (opts) => ({ ...loadUserEnvs(opts), ...args.settings });
  functionsEnv.writeResolvedParams = () => {}; // deploy writes resolved params into functions/; the rehearsal does not

  const google = new StandInGoogle(args.projectId, region, settings);
  lib("ensureApiEnabled").POLL_SETTINGS.pollInterval = 0; // the stand-in turns an API on at once
  installStandIn(google);

  const options = {
    cwd: ROOT,
    projectRoot: ROOT,
    config,
    project: args.projectId,
    projectId: args.projectId,
    projectNumber: "123456789012",
    nonInteractive: args.nonInteractive,
    force: args.force,
    only: "",
    rc: { hasProjects: false, projects: {} },
  };
  const context = { projectId: args.projectId };
  const payload = {};
  console.log(`rehearsal: functions, prepare (settings: ${JSON.stringify(args.settings)})`);
  await prepare.prepare(context, options, payload);
  const want = payload.functions.default.wantBackend;
  const endpoints = Object.values(want.endpoints).flatMap((byId) => Object.values(byId));
  if (args.functionsOut) fs.writeFileSync(args.functionsOut, JSON.stringify(endpoints.map(({ id, region }) => ({ id, region }))));
  console.log(`rehearsal: functions, release of ${endpoints.map((e) => `${e.id} (${e.region}, min ${e.minInstances ?? 0})`).join(", ")}`);
  await release.release(context, options, payload);

  console.log("rehearsal: hosting, the site (scripts/deploy creates one named after the project when there is none)");
  await lib("commands/hosting-sites-create").command.actionFn(args.projectId, { ...options });
  const deployCommand = lib("commands/deploy").command;
  const siteCheck = deployCommand.befores.find((b) => b.fn.toString().includes("requireHostingSite")).fn;
  await siteCheck(Object.assign(options, { filteredTargets: ["hosting"] })); // sets options.site to the default site
  console.log(`rehearsal: hosting, config conversion for site ${options.site}`);
  const [site] = hostingConfig(options);
  const converted = await convertConfig(context, payload, { config: site, version: "rehearsal" });
  const apiRewrite = converted.rewrites.find((r) => r.glob === "/api/**");
  if (!apiRewrite?.run || apiRewrite.run.serviceId !== "api" || apiRewrite.run.region !== region) {
    throw new Error(`rehearsal: Hosting would not send /api/** to the function api in ${region}: ${JSON.stringify(apiRewrite)}`);
  }
  console.log(`rehearsal: /api/** goes to Cloud Run service api in ${region}; ${converted.headers.length} header rules`);
  console.log(`rehearsal: stood in for Google: ${[...google.answered].sort().join("; ")}`);
  return converted;
}

module.exports = { rehearse, parseArgs };

if (require.main === module) {
  showLogs();
  Promise.resolve().then(() => rehearse(parseArgs(process.argv.slice(2)))).then(
    () => console.log("rehearsal: passed"),
    (err) => {
      let cause = err;
      const messages = [];
      for (; cause; cause = cause.original ?? cause.cause) messages.push(cause.message);
      console.error(`rehearsal: FAILED: ${messages.join("\n  because: ")}`);
      if (process.env.DEBUG) console.error(err.stack);
      process.exit(1);
    },
  );
}
