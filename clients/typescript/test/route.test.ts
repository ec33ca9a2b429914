/**
 * A private registry read through the example route handler: the dashboard's server reads the
 * files through a fake GitHub Contents API with its token, the browser's client reads them from
 * the route and never sees the token; unchanged files are revalidated with their ETag (304).
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, test, type TestContext } from "node:test";

import { GET } from "../examples/route.js";
import { fetchPluginRegistry, loadAvailablePlugins } from "../src/pluginRegistry.js";
import { FakeContentsApi } from "./support/fakeContentsApi.js";
import { installFakeBrowser, type FakeBrowser } from "./support/fakeBrowser.js";
import { REPOSITORY, TestRegistry } from "./support/registry.js";

const TOKEN = "ghs_registryReadToken0123456789";
const ROUTE = "https://dashboard.example/api/plugin-registry";
const RAW = `https://raw.githubusercontent.com/${REPOSITORY}`;

let browser: FakeBrowser;
before(() => {
  browser = installFakeBrowser();
});
after(() => browser.uninstall());
beforeEach(() => {
  delete process.env.PLUGIN_REGISTRY_BRANCH;
  process.env.PLUGIN_REGISTRY_REPOSITORY = REPOSITORY;
  process.env.PLUGIN_REGISTRY_TOKEN = TOKEN;
});

interface PrivateRegistry {
  registry: TestRegistry;
  api: FakeContentsApi;
  commit: string;
  /** What the browser received from the route: url, status, headers and body. */
  answers: string[];
  /** A fetch that hands the browser's requests to the route handler, as Next.js would. */
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
}

/**
 * notes (registered with `--manifest-urls commit`: its entry names the commit of its manifest)
 * and calendar (branch manifestUrl) registered with the registry's raw URLs, committed on main,
 * behind the fake API.
 */
async function privateRegistry(t: TestContext): Promise<PrivateRegistry> {
  const registry = await TestRegistry.create();
  t.after(() => registry.close());
  const raw = ["--manifest-base-url", `${RAW}/main`];
  registry.register("notes", "0.3.0", ...raw, "--manifest-urls", "commit");
  const named = registry.readJson("registry.json").plugins[0].manifestUrl;
  const commit = String(/\/([0-9a-f]{40})\/plugins\/notes\.json$/.exec(named)?.[1]);
  assert.equal(registry.readAt(commit, "plugins/notes.json"), registry.read("plugins/notes.json"));
  registry.register("calendar", "1.4.2", ...raw);
  registry.commit("register calendar 1.4.2");
  const api = await FakeContentsApi.create(registry.dir, REPOSITORY, TOKEN);
  t.after(() => api.close());
  process.env.GITHUB_API_URL = api.url;
  const answers: string[] = [];
  const fetch = async (url: string, init?: RequestInit) => {
    const response = await GET(new Request(url, init));
    const headers = JSON.stringify([...response.headers]);
    answers.push(`${url} ${response.status} ${headers} ${await response.clone().text()}`);
    return response;
  };
  return { registry, api, commit, answers, fetch };
}

test("a private registry is read through the route; the browser never holds the token", async (t) => {
  const { registry, api, commit, answers, fetch } = await privateRegistry(t);

  const result = await loadAvailablePlugins({ registryUrl: ROUTE, fetch });

  assert.deepEqual(result.skipped, []);
  assert.deepEqual(
    result.loaded.map((plugin) => plugin.module),
    [
      { id: "notes", build: "0.3.0" },
      { id: "calendar", build: "1.4.2" },
    ],
  );
  assert.deepEqual(
    result.loaded.map((plugin) => plugin.manifest),
    [registry.readJson("plugins/notes.json"), registry.readJson("plugins/calendar.json")],
  );
  assert.deepEqual(api.requests.map((request) => request.url).sort(), [
    `/repos/${REPOSITORY}/contents/plugins/calendar.json?ref=main`,
    `/repos/${REPOSITORY}/contents/plugins/notes.json?ref=${commit}`,
    `/repos/${REPOSITORY}/contents/registry.json?ref=main`,
  ]);
  for (const request of api.requests) {
    assert.equal(request.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(request.headers.accept, "application/vnd.github.raw+json");
    assert.equal(request.status, 200);
  }
  assert.equal(answers.length, 3);
  assert.ok(answers.every((answer) => !answer.includes(TOKEN)));
  const index = await (await GET(new Request(ROUTE))).json();
  assert.deepEqual(
    index.plugins.map((entry: { manifestUrl: string }) => entry.manifestUrl),
    [`${ROUTE}?file=plugins%2Fnotes.json&ref=${commit}`, `${ROUTE}?file=plugins%2Fcalendar.json`],
  );
});

test("unchanged files are revalidated with their ETag, a new registration is seen", async (t) => {
  const { registry, api, fetch } = await privateRegistry(t);
  await fetchPluginRegistry({ registryUrl: ROUTE, fetch });
  const charged = api.charged;

  const again = await fetchPluginRegistry({ registryUrl: ROUTE, fetch });

  assert.deepEqual(
    again.plugins.map((plugin) => plugin.version),
    ["0.3.0", "1.4.2"],
  );
  const second = api.requests.slice(3);
  assert.deepEqual(
    second.map((request) => request.status),
    [304, 304, 304],
  );
  assert.ok(
    second.every((request) => /^"[0-9a-f]{40}"$/.test(String(request.headers["if-none-match"]))),
  );
  assert.equal(api.charged, charged, "a 304 is not charged to the rate limit");

  registry.register("calendar", "1.4.3", "--manifest-base-url", `${RAW}/main`);
  registry.commit("register calendar 1.4.3");
  const updated = await fetchPluginRegistry({ registryUrl: ROUTE, fetch });

  assert.deepEqual(
    updated.plugins.map((plugin) => [plugin.id, plugin.version]),
    [
      ["notes", "0.3.0"],
      ["calendar", "1.4.3"],
    ],
  );
  // notes is read at its commit: unchanged, still 304
  assert.deepEqual(
    api.requests
      .slice(6)
      .map((request) => `${request.url.split("?")[0]} ${request.status}`)
      .sort(),
    [
      `/repos/${REPOSITORY}/contents/plugins/calendar.json 200`,
      `/repos/${REPOSITORY}/contents/plugins/notes.json 304`,
      `/repos/${REPOSITORY}/contents/registry.json 200`,
    ],
  );
});

test("a file read at a commit may be cached for good, the branch's are revalidated", async (t) => {
  const { commit } = await privateRegistry(t);

  const atCommit = await GET(new Request(`${ROUTE}?file=plugins/notes.json&ref=${commit}`));
  const onBranch = await GET(new Request(`${ROUTE}?file=plugins/calendar.json`));

  assert.equal(atCommit.headers.get("cache-control"), "private, max-age=31536000, immutable");
  assert.equal(onBranch.headers.get("cache-control"), "private, no-cache");
});

test("manifestUrls in GitHub Enterprise Server's raw forms are pointed at the route", async (t) => {
  const { registry, commit } = await privateRegistry(t);
  const index = registry.readJson("registry.json");
  index.plugins[0].manifestUrl = `https://raw.ghe.example/${REPOSITORY}/${commit}/plugins/notes.json`;
  index.plugins[1].manifestUrl = `https://ghe.example/raw/${REPOSITORY}/main/plugins/calendar.json`;
  index.plugins.push({
    ...index.plugins[1],
    id: "weather",
    manifestUrl: "https://cdn.example/w.json",
  });
  registry.writeJson("registry.json", index);
  registry.commit("point the index at an Enterprise server");

  const served = await (await GET(new Request(ROUTE))).json();

  assert.deepEqual(
    served.plugins.map((entry: { manifestUrl: string }) => entry.manifestUrl),
    [
      `${ROUTE}?file=plugins%2Fnotes.json&ref=${commit}`,
      `${ROUTE}?file=plugins%2Fcalendar.json`,
      "https://cdn.example/w.json",
    ],
  );
});

test("the route serves only registry files and says why it cannot serve one", async (t) => {
  const { api } = await privateRegistry(t);
  const answer = async (query: string) => {
    const response = await GET(new Request(`${ROUTE}${query}`));
    return `${response.status} ${await response.text()}`;
  };

  assert.equal(await answer("?file=.github/workflows/deploy.yml"), "404 not a registry file\n");
  assert.equal(await answer("?file=plugins/../secrets.json"), "404 not a registry file\n");
  assert.equal(await answer("?file=registry.json&ref=release"), "400 ref must name a commit\n");
  assert.equal(api.requests.length, 0);
  assert.equal(
    await answer("?file=plugins/gone.json"),
    "404 plugins/gone.json is not in the registry\n",
  );

  process.env.PLUGIN_REGISTRY_TOKEN = "ghs_revoked";
  assert.equal(
    await answer(""),
    "502 the plugin registry could not be read: GitHub answered 401 for registry.json\n",
  );
  delete process.env.PLUGIN_REGISTRY_TOKEN;
  assert.equal(
    await answer(""),
    "500 the plugin registry route is not configured: " +
      "set PLUGIN_REGISTRY_REPOSITORY (owner/name) and PLUGIN_REGISTRY_TOKEN\n",
  );
  assert.equal(api.requests.length, 2);
});
