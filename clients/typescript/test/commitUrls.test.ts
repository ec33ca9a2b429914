/**
 * Index entries whose manifestUrl names the commit that wrote the manifest, as
 * `registry-action register --manifest-urls commit` writes them
 * (`.../{owner}/{repo}/{40-hex sha}/plugins/<id>.json`): a dashboard that reads a cached copy of
 * registry.json still gets exactly the manifests it lists. The same registrations with branch
 * manifestUrls meet a newer manifest, which the client skips.
 */
import assert from "node:assert/strict";
import { after, before, test, type TestContext } from "node:test";

import { fetchPluginRegistry, loadAvailablePlugins } from "../src/pluginRegistry.js";
import { installFakeBrowser, type FakeBrowser } from "./support/fakeBrowser.js";
import { TestRegistry } from "./support/registry.js";

let browser: FakeBrowser;
before(() => {
  browser = installFakeBrowser();
});
after(() => browser.uninstall());

interface Scenario {
  registry: TestRegistry;
  /** registry.json as it was after the first two registrations: what the CDN still serves. */
  cachedIndex: string;
  /** Where the dashboard reads registry.json. */
  registryUrl: string;
}

/**
 * calendar 1.4.2 and notes 0.3.0 registered; then calendar 1.4.3, while the CDN still serves the
 * index of before. With `commit`, the CLI makes the commits (the folder is a git checkout);
 * with branch manifestUrls, the test commits the folder after each step.
 */
async function registeredTwice(t: TestContext, form: "commit" | "branch"): Promise<Scenario> {
  const registry = await TestRegistry.create();
  t.after(() => registry.close());
  const extra =
    form === "commit"
      ? ["--manifest-urls", "commit", "--manifest-base-url", registry.branchUrl]
      : [];
  const step = (id: string, version: string) => {
    registry.register(id, version, ...extra);
    if (form === "branch") registry.commit(`register ${id} ${version}`);
  };
  step("calendar", "1.4.2");
  step("notes", "0.3.0");
  const cachedIndex = registry.readAt(registry.head(), "registry.json");
  step("calendar", "1.4.3");
  const registryUrl =
    form === "commit" ? `${registry.branchUrl}/registry.json` : registry.registryUrl;
  return { registry, cachedIndex, registryUrl };
}

function serveCached({ registry, cachedIndex, registryUrl }: Scenario): void {
  const path = new URL(registryUrl).pathname;
  registry.overrides.set(path, { status: 200, body: cachedIndex });
}

test("a commit manifestUrl reads what that commit wrote, whatever the branch holds", async (t) => {
  const scenario = await registeredTwice(t, "commit");
  const { registry, cachedIndex, registryUrl } = scenario;
  serveCached(scenario);
  const commits = JSON.parse(cachedIndex).plugins.map(
    (entry: { manifestUrl: string }) => /\/([0-9a-f]{40})\/plugins\//.exec(entry.manifestUrl)?.[1],
  );

  const result = await fetchPluginRegistry({ registryUrl });

  assert.deepEqual(result.skipped, []);
  assert.deepEqual(
    result.plugins.map((plugin) => [plugin.id, plugin.version]),
    [
      ["calendar", "1.4.2"],
      ["notes", "0.3.0"],
    ],
  );
  // The manifest's own manifestUrl stays its branch URL.
  assert.equal(result.plugins[0]?.manifestUrl, `${registry.branchUrl}/plugins/calendar.json`);
  assert.deepEqual(
    registry.requests.map((request) => request.url).sort(),
    [
      `/${commits[0]}/plugins/calendar.json`,
      `/${commits[1]}/plugins/notes.json`,
      "/main/registry.json",
    ].sort(),
  );
  // Each manifest names the commit of its own registration.
  assert.notEqual(commits[0], commits[1]);
});

test("the same cached index with branch manifestUrls meets a newer manifest: skipped", async (t) => {
  const scenario = await registeredTwice(t, "branch");
  serveCached(scenario);

  const result = await fetchPluginRegistry({ registryUrl: scenario.registryUrl, onSkip() {} });

  const url = `${scenario.registry.baseUrl}/plugins/calendar.json`;
  const reason = `manifest ${url} is version 1.4.3, the index lists 1.4.2 (one of them is stale)`;
  assert.deepEqual(result.skipped, [{ id: "calendar", reason }]);
});

test("plugins listed with commit manifestUrls load, from the cached index and the fresh one", async (t) => {
  const scenario = await registeredTwice(t, "commit");
  const { registry, registryUrl } = scenario;

  const fresh = await loadAvailablePlugins({ registryUrl });
  serveCached(scenario);
  const cached = await loadAvailablePlugins({ registryUrl });

  for (const [result, calendar] of [
    [fresh, "1.4.3"],
    [cached, "1.4.2"],
  ] as const) {
    assert.deepEqual(result.skipped, []);
    assert.deepEqual(
      result.loaded.map((plugin) => [plugin.manifest.id, plugin.manifest.version]),
      [
        ["calendar", calendar],
        ["notes", "0.3.0"],
      ],
    );
  }
  assert.ok(browser.loads.some((load) => load.src === registry.remoteEntryUrl("calendar")));
});
